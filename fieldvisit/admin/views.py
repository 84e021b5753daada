"""Admin: the practitioners and teams of the instance. Admins see no family records."""
from flask import Blueprint, render_template

from fieldvisit.access import ROLES
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/practitioners")
@roles_required("admin")
def practitioners():
    rows = list(get_db().query(
        "SELECT p.username, p.display_name, p.role, p.active, t.name AS team_name, a.name AS agency_name"
        " FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = t.agency_id ORDER BY a.name, t.name, p.display_name"))
    return render_template("admin/practitioners.html", practitioners=rows, roles=ROLES)
