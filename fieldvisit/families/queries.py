"""What the pages read about families and children: a family, its household, who works with it,
its recent visits, a child's visits. Plain functions over `db` (no Flask)."""
import json

from fieldvisit.families.domain import children_with_status
from fieldvisit.rows import grouped_rows
from fieldvisit.visits.domain import amendments_for

RECENT_VISITS = 20


def family(db, family_id):
    """The family row (the caller has checked the practitioner may see it)."""
    return db["families"].get(family_id)


def child(db, child_id):
    return db["children"].get(child_id)


def children_of_family(db, family_id):
    return list(db.query("SELECT * FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id]))


def adults_of_family(db, family_id):
    return list(db.query("SELECT * FROM adults WHERE family_id = ? ORDER BY id", [family_id]))


def household(db, family_id):
    """(children youngest last, adults in the order recorded) of a family."""
    return children_of_family(db, family_id), adults_of_family(db, family_id)


def children_of(db, family_ids):
    """The children of these families with their family's name, oldest first."""
    if not family_ids:
        return []
    placeholders = ", ".join("?" for _ in family_ids)
    return list(db.query(
        "SELECT c.*, f.name AS family_name FROM children c JOIN families f ON f.id = c.family_id"
        f" WHERE c.family_id IN ({placeholders}) ORDER BY c.date_of_birth",
        list(family_ids)))


def child_ids(db, family_id):
    """Ids of a family's children, oldest first."""
    return [row[0] for row in db.execute(
        "SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]


def child_ids_of(db, family_ids):
    """[(child id, family id)] of these families' children, oldest first."""
    if not family_ids:
        return []
    placeholders = ", ".join("?" for _ in family_ids)
    return db.execute(f"SELECT id, family_id FROM children WHERE family_id IN ({placeholders})"
                      " ORDER BY date_of_birth", list(family_ids)).fetchall()


def visible_families(db, families_sql, params):
    """The families a practitioner may see (`access.visible_families_sql`), by name, with their number of children."""
    return list(db.query(
        f"SELECT f.id, f.name, f.postcode, (SELECT count(*) FROM children c WHERE c.family_id = f.id)"
        f" AS children FROM families f WHERE f.id IN ({families_sql}) ORDER BY f.name", params))


def assigned_practitioners(db, family_id):
    """Who works with the family, with their team and agency."""
    return list(db.query(
        "SELECT p.display_name, p.role, t.name AS team_name, ag.name AS agency_name"
        " FROM assignments s JOIN practitioners p ON p.id = s.practitioner_id"
        " LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN agencies ag ON ag.id = t.agency_id"
        " WHERE s.family_id = ? ORDER BY p.display_name", [family_id]))


def family_household(db, family_id, today, partnership):
    """(children with their visiting status, adults, assigned practitioners) for the family page."""
    children, adults = household(db, family_id)
    assigned = assigned_practitioners(db, family_id)
    return children_with_status(db, children, today, partnership), adults, assigned


def recent_visits(db, family_id, limit=RECENT_VISITS):
    """The family's latest visit records with who made them and which children were seen."""
    visits = list(db.query(
        "SELECT v.id, v.happened_at, v.visit_type, v.outcome, v.alcohol_containers, v.alcohol_smell,"
        " v.intoxication_observed, v.parent_alcohol_account, v.child_alone,"
        " p.display_name AS practitioner_name, a.name AS agency_name"
        " FROM visit_records v JOIN practitioners p ON p.id = v.practitioner_id"
        " LEFT JOIN agencies a ON a.id = v.agency_id"
        " WHERE v.family_id = ? ORDER BY v.happened_at DESC LIMIT ?", [family_id, limit]))
    ids = [visit["id"] for visit in visits]
    seen = grouped_rows(
        db, "SELECT vc.visit_id, c.first_name, vc.seen, vc.seen_alone FROM visit_children vc"
        " JOIN children c ON c.id = vc.child_id WHERE vc.visit_id IN ({ids})"
        " ORDER BY c.date_of_birth", ids, "visit_id")
    amendments = amendments_for(db, ids)
    for visit in visits:
        visit["alcohol_containers"] = json.loads(visit["alcohol_containers"])
        visit["children_seen"] = seen.get(visit["id"], [])
        visit["amendments"] = amendments.get(visit["id"], [])
    return visits


def child_visits(db, child_id, limit=50):
    """A child's latest visits: whether seen, seen alone, the bedroom, and what the child said and showed."""
    return list(db.query(
        "SELECT v.id, v.happened_at, v.visit_type, v.outcome, vc.seen, vc.seen_alone, vc.bedroom_seen,"
        " vc.presentation, vc.words, vc.demeanour, p.display_name AS practitioner_name"
        " FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id"
        " JOIN practitioners p ON p.id = v.practitioner_id"
        " WHERE vc.child_id = ? ORDER BY v.happened_at DESC LIMIT ?", [child_id, limit]))


def search_index(db, family_ids):
    """What a tablet may search with no signal (issue 12, find a family), for the families whose
    pages it keeps: only what their kept family pages show (name, address, postcode, case reference,
    children's names). Each row also has `text`, the lower-case words to match, the postcode given
    with and without its space. The index is drawn inside a page, so it is kept encrypted with it."""
    if not family_ids:
        return []
    marks = ",".join("?" * len(family_ids))
    families = list(db.query(f"SELECT id, name, address, postcode, case_reference FROM families"
                             f" WHERE id IN ({marks}) ORDER BY name", list(family_ids)))
    names = {}
    for family_id, first, last in db.execute(
            f"SELECT family_id, first_name, last_name FROM children WHERE family_id IN ({marks})"
            " ORDER BY date_of_birth", list(family_ids)):
        names.setdefault(family_id, []).append(f"{first} {last}")
    for row in families:
        row["children"] = names.get(row["id"], [])
        words = [row["name"], row["address"], row["postcode"], row["postcode"].replace(" ", ""),
                 row["case_reference"] or "", *row["children"]]
        row["text"] = " ".join(" ".join(words).lower().split())
    return families
