"""Body maps as plain data: recording marks, completing (locking) a body map, amending a mark,
and raising the escalations the injury rules require. No Flask here: the HTML routes and
the sync API both reach these functions through the same appliers (fieldvisit/records.py)."""
import json
from datetime import datetime, timedelta

from fieldvisit import device_clock
from fieldvisit.escalations import domain as escalations
from fieldvisit.bodymap import figures, rules
from fieldvisit.rows import grouped_rows

MARK_TYPES = {"bruise": "Bruise", "possible_bruise": "Possible bruise", "graze": "Graze", "cut": "Cut",
              "burn": "Burn", "scald": "Scald", "bite": "Bite", "other": "Other"}
SHAPES = {"round": "Round", "oval": "Oval", "linear": "A line (linear)", "irregular": "Irregular", "other": "Other"}
COLOURS = {"red": "Red", "pink": "Pink", "purple": "Purple", "blue": "Blue", "black": "Black", "brown": "Brown",
           "green": "Green", "yellow": "Yellow", "grey": "Grey", "other": "Other"}
YES_NO_NOT_KNOWN = {"yes": "Yes", "no": "No", "not_known": "Not known"}
SURFACE = {"bleeding": "Bleeding", "scab": "Scab", "blister": "Blister"}
EXPLAINED_BY = {"carer": "A parent or carer", "child": "The child", "other": "Someone else",
                "none": "No explanation was given"}
CONSISTENT = {"yes": "Yes", "no": "No", "unsure": "Unsure"}
PATTERNS = {"none": "Not patterned", "hand": "Hand or slap mark", "grip": "Grip or fingertip marks",
            "ligature": "Ligature mark", "implement": "Implement mark (for example a belt, cord or stick)",
            "bite": "Bite mark"}
# How far (in figure units) a tap may fall outside the region chosen, for a tap on its edge.
EDGE_TOLERANCE = 2.0

# What a mark says, in the order of SAFEGUARDING.md's body-map record; an amendment may change any of it.
DETAILS = {
    "where": "Where on the body",
    "mark_type": "Type", "other_type": "Type (other)",
    "length_cm": "Length (cm)", "width_cm": "Width (cm)",
    "shape": "Shape", "shape_details": "Shape: details",
    "colours": "Colours", "colour_details": "Colours: details",
    "skin_broken": "Skin broken", "swelling": "Swelling", "surface": "Bleeding, scab or blister", "pain": "Pain",
    "explanation_by": "Explanation given by", "explanation_by_other": "Explanation given by (who)",
    "explanation": "Explanation", "consistent": "Consistent with the explanation",
    "believed_birthmark": "Believed to be a birthmark",
    "birthmark_confirmed_by": "Birthmark confirmed by", "birthmark_confirmer_profession": "Their profession",
    "birthmark_confirmed_on": "Birthmark confirmed on",
    "birthmark_confirmer_kind": "Birthmark confirmed by: who",
    "pattern": "Patterned", "clustered": "One of a cluster of bruises",
    "notes": "Other observations", "observed_at": "Seen on",
}
WHERE = ("figure", "view", "x", "y", "region", "region_label", "placed_by")
JSON_LISTS = ("colours", "surface")


class MarkInvalid(Exception):
    """The record breaks a rule of the domain; `errors` maps field to message."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# --- where a mark is ---------------------------------------------------------------------------

def placement(figure, region_value, x=None, y=None):
    """Where a mark is, from the region chosen and (if the figure was tapped) the point tapped.

    Returns {figure, view, region, region_label, x, y, placed_by}; raises MarkInvalid for a
    region the figure does not have or a point outside the figure or far from the region.
    """
    if figure not in figures.FIGURES:
        raise MarkInvalid({"figure": "Choose a figure: baby, toddler, child or young person."})
    view_key, region_key = figures.parse_region(region_value)
    drawing = figures.view(figure, view_key) if view_key else None
    region = drawing.region(region_key) if drawing else None
    if region is None:
        raise MarkInvalid({"region": "Choose where the mark is: tap the figure, or choose the body region from the list."})
    if x is None and y is None:
        x, y = drawing.spot(region_key)
        placed_by = "list"
    elif x is None or y is None:
        raise MarkInvalid({"region": "The point tapped on the figure was not recorded. Tap the figure again."})
    else:
        placed_by = "tap"
        tapped = drawing.region_at(x, y)
        if not drawing.inside_canvas(x, y) or (tapped is None and region.distance(x, y) > EDGE_TOLERANCE):
            raise MarkInvalid({"region": "The point tapped is outside the figure. Tap on the body, "
                                         "or choose the body region from the list."})
        if tapped is not region and region.distance(x, y) > EDGE_TOLERANCE:
            raise MarkInvalid({"region": f"The point tapped is on the {tapped.label}, but the region chosen is the "
                                         f"{region.label}. Tap the figure again or choose the region from the list."})
    return {"figure": figure, "view": view_key, "region": region_key, "region_label": region.label,
            "x": round(float(x), 1), "y": round(float(y), 1), "placed_by": placed_by}


# --- the visit, the child and the body map ------------------------------------------------------

def child_on_visit(db, visit_id, child_id):
    """The visit and child a body map is for; raises MarkInvalid unless the child was seen on it."""
    rows = list(db.query(
        "SELECT v.id AS visit_id, v.family_id, v.happened_at, c.id AS child_id, c.family_id AS child_family_id,"
        " c.first_name, vc.seen FROM visit_records v LEFT JOIN children c ON c.id = :child"
        " LEFT JOIN visit_children vc ON vc.visit_id = v.id AND vc.child_id = :child WHERE v.id = :visit",
        {"visit": str(visit_id), "child": child_id}))
    if not rows:
        raise MarkInvalid({"visit_id": "That visit record does not exist."})
    row = rows[0]
    if row["child_id"] is None or row["child_family_id"] != row["family_id"] or row["seen"] is None:
        raise MarkInvalid({"child_id": "That child is not part of this visit. A body map is recorded for a child "
                                       "seen on the visit."})
    if not row["seen"]:
        raise MarkInvalid({"child_id": f"{row['first_name']} was not seen on this visit, so no body map can be "
                                       "recorded for them on it."})
    return row


def visit_for_page(db, visit_id, child_id):
    """The visit a body-map page is about, with who made it and whether this child was seen on it."""
    rows = list(db.query(
        "SELECT v.id, v.happened_at, v.family_id, p.display_name AS practitioner_name, vc.seen"
        " FROM visit_records v JOIN practitioners p ON p.id = v.practitioner_id"
        " LEFT JOIN visit_children vc ON vc.visit_id = v.id AND vc.child_id = ? WHERE v.id = ?",
        [child_id, visit_id]))
    return rows[0] if rows else None


# (family id, child id) of a mark, for the sync engine's check that its author may see the family.
FAMILY_AND_CHILD_OF_MARK_SQL = ("SELECT b.family_id, m.child_id FROM body_map_marks m"
                                " JOIN body_maps b ON b.id = m.body_map_id WHERE m.id = ?")


def visit_and_child_of(db, body_map_id):
    """(visit id, child id) of a body map, or None when there is no such body map."""
    return db.execute("SELECT visit_id, child_id FROM body_maps WHERE id = ?", [body_map_id]).fetchone()


def find_body_map(db, visit_id, child_id):
    rows = list(db.query(
        "SELECT b.*, p.display_name AS completed_by_name FROM body_maps b"
        " LEFT JOIN practitioners p ON p.id = b.completed_by WHERE b.visit_id = ? AND b.child_id = ?",
        [str(visit_id), child_id]))
    return rows[0] if rows else None


def open_body_map(db, visit_id, child_id, author, at):
    """The body map of this visit and child, made if it is the first mark; raises if it is locked."""
    on_visit = child_on_visit(db, visit_id, child_id)
    db.execute("INSERT OR IGNORE INTO body_maps (visit_id, child_id, family_id, started_at, started_by)"
               " VALUES (?, ?, ?, ?, ?)", [str(visit_id), child_id, on_visit["family_id"], at, author["id"]])
    body_map = find_body_map(db, visit_id, child_id)
    body_map["visit_happened_at"] = on_visit["happened_at"]
    return body_map


def locked_message(body_map):
    return (f"This body map was completed on {body_map['completed_at'][:10]} by {body_map['completed_by_name']} "
            "and is locked. To correct a mark, amend it.")


# --- recording, completing, amending -----------------------------------------------------------

def record_mark(db, mark, author, received_at):
    """Store a mark on the body map of its visit and child; returns it as stored. Call inside a transaction."""
    body_map = open_body_map(db, mark["visit_id"], mark["child_id"], author, received_at)
    if body_map["completed_at"]:
        raise MarkInvalid({"body_map": locked_message(body_map)})
    check_observed(mark, body_map)
    settle_birthmark_confirmer(mark, author)
    where = placement(mark["figure"], f"{mark['view']}/{mark['region']}", mark.get("x"), mark.get("y"))
    number = db.execute("SELECT coalesce(max(number), 0) + 1 FROM body_map_marks WHERE body_map_id = ?",
                        [body_map["id"]]).fetchone()[0]
    row = {key: mark[key] for key in DETAILS if key != "where"}
    row["birthmark_confirmer_id"] = mark["birthmark_confirmer_id"]
    row.update(where)
    row.update({"id": mark["id"], "body_map_id": body_map["id"], "child_id": mark["child_id"], "number": number,
                "practitioner_id": author["id"], "recorder_role": author["role"],
                "recorded_at": mark["recorded_at"], "received_at": received_at})
    db["body_map_marks"].insert(_to_columns(row))
    return dict(row, visit_id=mark["visit_id"], family_id=body_map["family_id"])


CONFIRMER_FIELDS = ("birthmark_confirmed_by", "birthmark_confirmer_profession", "birthmark_confirmed_on",
                    "birthmark_confirmer_id")


def settle_birthmark_confirmer(mark, author, current=None):
    """Rule 5: a birthmark confirmed by a Fieldvisit user is confirmed by the author, whose role must be a
    health role; an amendment keeps a confirmation a Fieldvisit user already made."""
    # SAFEGUARDING.md rule 5: a mark believed to be a birthmark must be confirmed by a registered health practitioner.
    mark["birthmark_confirmer_id"] = None
    if mark.get("birthmark_confirmer_kind") != "fieldvisit_user":
        return mark
    if current and current.get("birthmark_confirmer_kind") == "fieldvisit_user" and current.get("birthmark_confirmer_id"):
        mark.update({key: current[key] for key in CONFIRMER_FIELDS})
        return mark
    if author["role"] not in rules.HEALTH_ROLES:
        role = author["role"].replace("_", " ")
        raise MarkInvalid({"birthmark_confirmer": (
            f"Only a registered health practitioner may confirm a birthmark, and a {role} is not one. Choose "
            "'Not yet: nobody has confirmed it', or the registered health practitioner outside Fieldvisit who confirmed it.")})
    mark.update(birthmark_confirmed_by=author["display_name"], birthmark_confirmer_profession=author["role"],
                birthmark_confirmer_id=author["id"],
                birthmark_confirmed_on=mark["birthmark_confirmed_on"] or mark["observed_at"][:10])
    return mark


def check_observed(mark, body_map):
    # Issue 14: a tablet clock days behind fills in a date before the visit; the date corrected by the
    # tablet's clock offset is judged too, so a wrong clock alone never refuses the mark.
    if max(device_clock.dates_as_given_and_corrected(mark["observed_at"])).isoformat() < body_map["visit_happened_at"][:10]:
        raise MarkInvalid({"observed_date": "The date you saw the mark cannot be before the visit "
                                            f"({body_map['visit_happened_at'][:10]})."})


def complete_body_map(db, completion, author, received_at):
    """Lock the body map of this visit and child: from now on every change is an amendment."""
    body_map = open_body_map(db, completion["visit_id"], completion["child_id"], author, received_at)
    if body_map["completed_at"]:
        raise MarkInvalid({"body_map": f"This body map was already completed on {body_map['completed_at'][:10]} "
                                       f"by {body_map['completed_by_name']}."})
    db.execute("UPDATE body_maps SET completed_at = ?, completed_by = ?, completion_id = ? WHERE id = ?",
               [received_at, author["id"], completion["id"], body_map["id"]])
    return body_map["id"]


def amend_mark(db, amendment, author, received_at):
    """Store a correction of a mark that keeps the original; returns (amended mark, changes)."""
    current = mark_with_amendments(db, amendment["mark_id"])
    if current is None:
        raise MarkInvalid({"mark_id": "That mark does not exist."})
    settle_birthmark_confirmer(amendment, author, current)
    amended = {key: amendment[key] for key in DETAILS if key != "where"}
    amended["birthmark_confirmer_id"] = amendment["birthmark_confirmer_id"]
    amended.update(placement(amendment["figure"], f"{amendment['view']}/{amendment['region']}",
                             amendment.get("x"), amendment.get("y")))
    if amended["placed_by"] == "list" and (amended["view"], amended["region"]) == (current["view"], current["region"]):
        amended.update({key: current[key] for key in WHERE})  # the same place: keep the point tapped
    check_observed(amended, {"visit_happened_at": current["visit_happened_at"]})
    changes = []
    for key in DETAILS:
        if key == "where":
            if (_where(current), current["x"], current["y"]) != (_where(amended), amended["x"], amended["y"]):
                changes.append({"field": key, "original": _where(current), "amended": _where(amended)})
        elif current[key] != amended[key]:
            changes.append({"field": key, "original": current[key], "amended": amended[key]})
    if not changes:
        raise MarkInvalid({"reason": "You have not changed anything. Change what needs correcting, then save."})
    db["body_map_mark_amendments"].insert({
        "id": amendment["id"], "mark_id": amendment["mark_id"], "changes": json.dumps(changes),
        "amended": json.dumps(amended), "reason": amendment["reason"], "practitioner_id": author["id"],
        "recorder_role": author["role"], "recorded_at": amendment["recorded_at"], "received_at": received_at,
    })
    return dict(current, **amended), changes


def _where(mark):
    return f"{mark['region_label']} ({figures.VIEWS[mark['view']].lower()})"


def _to_columns(row):
    columns = dict(row)
    for key in JSON_LISTS:
        columns[key] = json.dumps(columns[key])
    for key in ("believed_birthmark", "clustered"):
        columns[key] = int(bool(columns[key]))
    return columns


def _from_columns(row):
    mark = dict(row)
    for key in JSON_LISTS:
        mark[key] = json.loads(mark[key])
    return mark


# --- the rules --------------------------------------------------------------------------------

def raise_escalations(db, mark, child, settings, raised_by, raised_at):
    """Raise every escalation the injury rules require for this mark; returns their ids.

    One escalation per body map and rule (a second bruise on the same body map is added to the
    first one's marks), so the team lead sees one item per concern, with every mark behind it.
    """
    ids = []
    for due in rules.escalations_for_mark(mark, child, settings):
        deadline = datetime.fromisoformat(raised_at) + timedelta(hours=due["deadline_hours"])
        escalation_id = escalations.raise_escalation(
            db, family_id=child["family_id"], child_id=child["id"], rule=due["rule"], title=due["title"],
            source=due["source"], actions=due["actions"], deadline=deadline.isoformat(timespec="milliseconds"),
            origin_kind="body_map", origin_id=str(mark["body_map_id"]), raised_by=raised_by, raised_at=raised_at)
        db.execute("INSERT OR IGNORE INTO body_map_escalation_marks (escalation_id, mark_id) VALUES (?, ?)",
                   [escalation_id, mark["id"]])
        ids.append(escalation_id)
    return ids


# --- reading ----------------------------------------------------------------------------------

MARK_SELECT = (
    "SELECT m.*, b.visit_id, b.completed_at AS body_map_completed_at, v.happened_at AS visit_happened_at,"
    " p.display_name AS recorder_name FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id"
    " JOIN visit_records v ON v.id = b.visit_id JOIN practitioners p ON p.id = m.practitioner_id")


def amendments_of(db, mark_ids):
    """Amendments of these marks, oldest first, grouped by mark id."""
    grouped = grouped_rows(
        db, "SELECT a.*, p.display_name AS practitioner_name FROM body_map_mark_amendments a"
        " JOIN practitioners p ON p.id = a.practitioner_id WHERE a.mark_id IN ({ids})"
        " ORDER BY a.received_at, a.id", mark_ids, "mark_id")
    for rows in grouped.values():
        for row in rows:
            row["changes"] = json.loads(row["changes"])
            row["amended"] = json.loads(row["amended"])
    return grouped


def with_amendments(rows, db):
    """Marks as they now stand (the latest amendment applied), each with its original and amendments."""
    marks = [_from_columns(row) for row in rows]
    amendments = amendments_of(db, [mark["id"] for mark in marks])
    result = []
    for mark in marks:
        history = amendments.get(mark["id"], [])
        current = dict(mark, **history[-1]["amended"]) if history else dict(mark)
        current["original"] = mark
        current["amendments"] = history
        current["type_label"] = MARK_TYPES[current["mark_type"]]
        current["birthmark_confirmed"] = rules.birthmark_confirmed(current)
        result.append(current)
    return result


def mark_with_amendments(db, mark_id):
    rows = list(db.query(MARK_SELECT + " WHERE m.id = ?", [str(mark_id)]))
    return with_amendments(rows, db)[0] if rows else None


def mark_number(db, mark_id):
    """The number a mark has on its body map (1 for the first)."""
    return db.execute("SELECT number FROM body_map_marks WHERE id = ?", [mark_id]).fetchone()[0]


def marks_of_body_map(db, body_map_id):
    return with_amendments(list(db.query(MARK_SELECT + " WHERE m.body_map_id = ? ORDER BY m.number",
                                         [body_map_id])), db)


def escalations_of_body_map(db, body_map_id):
    """The escalations this body map raised, each with its actions and the numbers of the marks behind it."""
    rows = list(db.query(
        "SELECT e.*, group_concat(m.number) AS mark_numbers FROM body_map_escalation_marks l"
        " JOIN body_map_marks m ON m.id = l.mark_id JOIN escalations e ON e.id = l.escalation_id"
        " WHERE m.body_map_id = ? GROUP BY e.id ORDER BY e.id", [body_map_id]))
    ids = [row["id"] for row in rows]
    actions = {}
    if ids:
        placeholders = ", ".join("?" for _ in ids)
        for action in db.query(
                "SELECT a.*, p.display_name AS done_by_name FROM escalation_actions a"
                f" LEFT JOIN practitioners p ON p.id = a.done_by WHERE a.escalation_id IN ({placeholders})"
                " ORDER BY a.escalation_id, a.position", ids):
            actions.setdefault(action["escalation_id"], []).append(action)
    for row in rows:
        row["actions"] = actions.get(row["id"], [])
        row["mark_numbers"] = sorted(int(n) for n in row["mark_numbers"].split(","))
    return rows


def marks_of_child(db, child_id, date_from=None, date_to=None):
    """Every mark recorded on this child (as it now stands), oldest first, seen within the dates given."""
    marks = with_amendments(list(db.query(MARK_SELECT + " WHERE m.child_id = ? ORDER BY m.observed_at, m.number",
                                          [child_id])), db)
    return [mark for mark in marks
            if (not date_from or mark["observed_at"][:10] >= date_from.isoformat())
            and (not date_to or mark["observed_at"][:10] <= date_to.isoformat())]


def body_maps_of_child(db, child_id):
    return list(db.query(
        "SELECT b.*, v.happened_at, (SELECT count(*) FROM body_map_marks m WHERE m.body_map_id = b.id) AS marks"
        " FROM body_maps b JOIN visit_records v ON v.id = b.visit_id WHERE b.child_id = ?"
        " ORDER BY v.happened_at DESC", [child_id]))
