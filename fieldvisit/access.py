"""Need to know: which families a practitioner may see (PRODUCT.md principle 3).

A practitioner sees the families assigned to them; a team lead sees the families
of their team (held by the team, or with a practitioner of the team assigned); an
admin manages accounts and sees no family. Anything else is a 404, so a
practitioner cannot even learn that a family exists.
"""


class NotVisible(LookupError):
    """What this practitioner may not see, or what does not exist: the app answers both with the
    same 404 page (fieldvisit/__init__.py), so this module stays plain Python (issue 9)."""


def abort(code):
    raise NotVisible(code)

ROLES = {
    "family_support_worker": "Family support worker",
    "social_worker": "Social worker",
    "health_visitor": "Health visitor",
    "team_lead": "Team lead",
    "admin": "Admin",
}
RECORDING_ROLES = {"family_support_worker", "social_worker", "health_visitor", "team_lead"}

VISIBLE_FAMILIES_SQL = {
    "team_lead": """
        SELECT id AS family_id FROM families WHERE team_id = :team_id
        UNION
        SELECT a.family_id FROM assignments a
        JOIN practitioners p ON p.id = a.practitioner_id
        WHERE p.team_id = :team_id""",
    "assigned": "SELECT family_id FROM assignments WHERE practitioner_id = :practitioner_id",
}


def visible_families_sql(practitioner):
    """SQL selecting `family_id` of every family this practitioner may see, and its parameters."""
    params = {"practitioner_id": practitioner["id"], "team_id": practitioner["team_id"]}
    if practitioner["role"] == "admin":
        return "SELECT NULL AS family_id WHERE 0", params
    if practitioner["role"] == "team_lead":
        return VISIBLE_FAMILIES_SQL["team_lead"], params
    return VISIBLE_FAMILIES_SQL["assigned"], params


def visible_family_ids(db, practitioner):
    sql, params = visible_families_sql(practitioner)
    return {row[0] for row in db.execute(sql, params).fetchall()}


def can_see_family(db, practitioner, family_id):
    if isinstance(family_id, int) and not -2**63 <= family_id < 2**63:
        return False  # no family has an id SQLite cannot hold (and the query would overflow)
    sql, params = visible_families_sql(practitioner)
    row = db.execute(
        f"SELECT 1 FROM ({sql}) WHERE family_id = :family_id", dict(params, family_id=family_id)
    ).fetchone()
    return row is not None


def family_or_404(db, practitioner, family_id):
    """The family row if this practitioner may see it; otherwise 404, whether or not it exists."""
    if not can_see_family(db, practitioner, family_id):
        abort(404)
    return db["families"].get(family_id)


def child_or_404(db, practitioner, child_id):
    row = db.execute("SELECT family_id FROM children WHERE id = ?", [child_id]).fetchone()
    if row is None or not can_see_family(db, practitioner, row[0]):
        abort(404)
    return db["children"].get(child_id)


def visit_or_404(db, practitioner, visit_id):
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [visit_id]).fetchone()
    if row is None or not can_see_family(db, practitioner, row[0]):
        abort(404)
    return row[0]


def managed_family_or_404(db, practitioner, family_id):
    """The family row if this practitioner manages it (issue 10): an admin any family, a team lead
    their own team's; for anyone else it does not exist."""
    if isinstance(family_id, int) and not -2**63 <= family_id < 2**63:
        abort(404)
    family = db["families"].get(family_id) if db.execute(
        "SELECT 1 FROM families WHERE id = ?", [family_id]).fetchone() else None
    if family is None or not (practitioner["role"] == "admin" or (
            practitioner["role"] == "team_lead" and family["team_id"] == practitioner["team_id"])):
        abort(404)
    return family
