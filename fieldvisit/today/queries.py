"""What the Today page reads: a practitioner's scheduled visits in the days ahead. Plain functions
over `db` (no Flask); the children of their families are `families.queries.children_of`."""
from datetime import timedelta

from fieldvisit import access


def upcoming_visits(db, practitioner, start, days):
    """Scheduled visits of this practitioner from `start` for `days` days, soonest first.

    Only families they may still see: a visit left on the rota after an assignment ended
    must not show the family's name and address (need to know).
    """
    end = start + timedelta(days=days)
    visible, params = access.visible_families_sql(practitioner)
    return list(db.query(
        "SELECT s.id, s.family_id, s.visit_type, s.due_at, f.name AS family_name, f.address, f.postcode"
        " FROM scheduled_visits s JOIN families f ON f.id = s.family_id"
        " WHERE s.practitioner_id = :me AND s.status = 'scheduled'"
        f" AND s.due_at >= :start AND s.due_at < :end AND s.family_id IN ({visible}) ORDER BY s.due_at",
        dict(params, me=practitioner["id"], start=start.isoformat(), end=end.isoformat())))
