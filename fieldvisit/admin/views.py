"""Admin: the practitioners and teams of the instance. Admins see no family records."""
from flask import Blueprint, render_template

from fieldvisit.access import ROLES
from fieldvisit.admin import queries
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/practitioners")
@roles_required("admin")
def practitioners():
    return render_template("admin/practitioners.html", practitioners=queries.practitioners(get_db()), roles=ROLES)
