"""The admin's list of registered devices (/devices) and revoking a lost or stolen one."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from fieldvisit import audit
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db
from fieldvisit.devices import domain
from sync import is_uuid

bp = Blueprint("devices", __name__)


@bp.get("/devices")
@roles_required("admin")
def list_devices():
    return render_template("devices/list.html", devices=domain.all_devices(get_db()))


@bp.post("/devices/<device_id>/revoke")
@roles_required("admin")
def revoke_device(device_id):
    db = get_db()
    if not is_uuid(device_id) or not domain.exists(db, device_id):
        abort(404)
    with db.atomic():
        revoked = domain.revoke(db, device_id, g.practitioner["id"])
        if revoked:
            audit.record(db, g.practitioner["id"], "write", "device", device_id, request.path)
    flash("The device is revoked. At its next contact it wipes the pages and keys it keeps, and nothing it "
          "sends is accepted; records waiting on it stay on it." if revoked else "That device was already revoked.")
    return redirect(url_for("devices.list_devices"))
