"""Importing families from the case system's export (CSV, one row per child; docs/import.md).

A dry run by default: every row is worked through inside a transaction that is then rolled
back, so the report says exactly what applying would do. Applying runs the same in one
transaction and keeps it, and only when no row is refused: nothing is half-imported. Rows are
matched by the case system's reference (a family) and the child's reference, else the child's
name and date of birth, so importing the same file twice changes nothing. Nothing is deleted.
Families, children and plans are written through families/cases.py, as the pages do.
"""
import csv
import io
import re
from datetime import date, datetime

from fieldvisit import audit
from fieldvisit.families import cases
from fieldvisit.families.domain import PLAN_CATEGORIES, PLANS

# column heading -> (field, required). Headings are matched ignoring case and spaces.
COLUMNS = {
    "Case Reference": ("case_reference", True),
    "Family Name": ("name", True),
    "Address": ("address", True),
    "Postcode": ("postcode", True),
    "Team": ("team", True),
    "Lead Agency": ("lead_agency", False),
    "Known Risks": ("known_risks", False),
    "Child Reference": ("child_reference", False),
    "Child First Name": ("first_name", True),
    "Child Last Name": ("last_name", True),
    "Date of Birth": ("date_of_birth", True),
    "Sex": ("sex", True),
    "NHS Number": ("nhs_number", False),
    "School": ("school", False),
    "Disability": ("disability", False),
    "Plan": ("plan", False),
    "Plan Category": ("plan_category", False),
    "Plan Start Date": ("plan_start_date", False),
    "Plan Review Date": ("plan_review_date", False),
}
FAMILY_COLUMNS = ("name", "address", "postcode", "team", "lead_agency", "known_risks")
HEADING_OF = {field: heading for heading, (field, _) in COLUMNS.items()}
HEADING_OF.update({"team_id": "Team", "category": "Plan Category", "start_date": "Plan Start Date",
                   "review_date": "Plan Review Date", "child_reference": "Child Reference"})
FORMULA = ("=", "+", "-", "@")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_FIELDS = ("date_of_birth", "plan_start_date", "plan_review_date")
SEX_WORDS = {"f": "female", "female": "female", "girl": "female", "m": "male", "male": "male", "boy": "male",
             "u": "unknown", "unknown": "unknown", "not known": "unknown", "indeterminate": "unknown"}
MAX_ROWS = 20000


def key(heading):
    return re.sub(r"[\s_]+", "", heading or "").lower()


KNOWN = {key(heading): heading for heading in COLUMNS}


class FileRefused(Exception):
    """The whole file is refused (a structural error): nothing is imported."""


def read_rows(content):
    """The rows as {field: text} with their line numbers, or FileRefused with why."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("The file is not UTF-8 text. Save it from the spreadsheet as 'CSV UTF-8' and try again.")
    if "\x00" in text:
        raise FileRefused("The file is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headings = next(reader)
    except StopIteration:
        raise FileRefused("The file is empty: it needs a heading row and one row per child.")
    except csv.Error as error:
        raise FileRefused(f"The file is not a CSV file that can be read ({error}).")
    seen = {}
    for position, heading in enumerate(headings):
        name = KNOWN.get(key(heading))
        if name and name in seen:
            raise FileRefused(f"The column '{name}' appears twice.")
        if name:
            seen[name] = position
    missing = [heading for heading, (_, required) in COLUMNS.items() if required and heading not in seen]
    if missing:
        raise FileRefused("Columns missing: " + ", ".join(missing) + ". The first row must name the columns"
                          " (see docs/import.md).")
    ignored = [h for h in headings if h.strip() and key(h) not in KNOWN]
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileRefused(f"The file has more than {MAX_ROWS} rows: split it.")
            row = {COLUMNS[heading][0]: (cells[position] if position < len(cells) else "").strip()
                   for heading, position in seen.items()}
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise FileRefused(f"Line {reader.line_num} cannot be read as CSV ({error}).")
    return rows, ignored


def row_problems(row):
    """What is wrong in the row's cells themselves (before it is compared with anything)."""
    problems = []
    for field, value in row.items():
        if value.startswith(FORMULA):
            problems.append(f"{HEADING_OF[field]} starts with '{value[0]}', like a spreadsheet formula: "
                            "write it without the sign, or check the export")
    for field in DATE_FIELDS:
        value = row.get(field, "")
        if value and not value.startswith(FORMULA) and not ISO_DATE.match(value):
            problems.append(f"{HEADING_OF[field]} '{value}' is not a date written YYYY-MM-DD"
                            " (other formats are ambiguous: 03/04/2025 could be March or April)")
    return problems


def plan_key(value):
    value = key(value)
    for plan, label in PLANS.items():
        if value in (key(plan), key(label), key(label.removesuffix(" plan"))):
            return plan
    return None if value else "none"


def category_key(value):
    value = key(value)
    for category, label in PLAN_CATEGORIES.items():
        if value in (key(category), key(label), key(label.split()[0])):
            return category
    return None


def child_data(row):
    return {"first_name": row["first_name"], "last_name": row["last_name"], "date_of_birth": row["date_of_birth"],
            "sex": SEX_WORDS.get(row["sex"].strip().lower(), row["sex"] or ""),
            "nhs_number": row.get("nhs_number", ""), "school": row.get("school", ""),
            "disability": row.get("disability", ""), "case_reference": row.get("child_reference", "")}


def in_words(errors):
    return [f"{HEADING_OF.get(field, field)}: {message}" for field, message in errors.items()]


def inconsistent_families(rows):
    """{case reference: why} where rows of one family disagree about the family's own columns."""
    first, why = {}, {}
    for line, row in rows:
        ref = row["case_reference"]
        if not ref:
            continue
        family = {field: row.get(field, "") for field in FAMILY_COLUMNS}
        if ref not in first:
            first[ref] = (line, family)
            continue
        earlier_line, earlier = first[ref]
        differ = [HEADING_OF[f] for f in FAMILY_COLUMNS if key(family[f]) != key(earlier[f])]
        if differ and ref not in why:
            why[ref] = (f"case reference {ref} appears on lines {earlier_line} and {line} with different "
                        + ", ".join(differ))
    return why


def team_ids(db):
    return {key(row[1]): row[0] for row in db.execute("SELECT id, name FROM teams").fetchall()}


def find_child(db, family_id, data):
    if data["case_reference"]:
        row = db.execute("SELECT id FROM children WHERE family_id = ? AND case_reference = ?",
                         [family_id, data["case_reference"]]).fetchone()
        if row:
            return row[0]
    row = db.execute(
        "SELECT id FROM children WHERE family_id = ? AND lower(first_name) = lower(?) AND lower(last_name) = lower(?)"
        " AND date_of_birth = ?", [family_id, data["first_name"], data["last_name"], data["date_of_birth"]]).fetchone()
    return row[0] if row else None


def import_row(db, row, teams, actor_id, now, today, route):
    """Create or update the row's family, child and plan; returns what was done, in words."""
    done = []
    team_id = teams.get(key(row["team"]))
    if team_id is None:
        raise cases.CaseInvalid({"team": f"no team called '{row['team']}' in Fieldvisit (an admin adds teams)"})
    family = {"case_reference": row["case_reference"], "name": row["name"], "address": row["address"],
              "postcode": row["postcode"], "team_id": team_id, "lead_agency": row.get("lead_agency", ""),
              "known_risks": row.get("known_risks", "")}
    existing = db.execute("SELECT id, team_id FROM families WHERE case_reference = ?",
                          [row["case_reference"]]).fetchone()
    if existing is None:
        family_id = cases.create_family(db, family, actor_id, now, source="import")
        done.append("create family")
    else:
        family_id = existing[0]
        stored = db["families"].get(family_id)
        # Columns left out of the file keep what Fieldvisit holds.
        for optional in ("lead_agency", "known_risks"):
            if optional not in row:
                family[optional] = stored[optional]
        changed = cases.update_family(db, family_id, family, actor_id, now, source="import")
        if changed:
            done.append("update family (" + ", ".join(HEADING_OF.get(f, f) for f in changed) + ")")
        if existing[1] != team_id:
            cases.transfer_family(db, family_id, {"team_id": team_id, "reason": "The case system holds the family"
                                                  f" in {row['team']} (import)"}, actor_id, now)
            done.append(f"transfer family to {row['team']}")
    audit.record(db, actor_id, "write", "family", family_id, route)
    data = child_data(row)
    child_id = find_child(db, family_id, data)
    if child_id is None:
        child_id = cases.add_child(db, family_id, data, actor_id, now, today, source="import")
        done.append("create child")
    else:
        stored = db["children"].get(child_id)
        for optional in ("nhs_number", "school", "disability", "case_reference"):
            if not data[optional]:
                data[optional] = stored[optional] or ""
        changed = cases.update_child(db, child_id, data, actor_id, now, today, source="import")
        if changed:
            done.append("update child (" + ", ".join(HEADING_OF.get(f, f) for f in changed) + ")")
    audit.record(db, actor_id, "write", "child", child_id, route)
    done += import_plan(db, child_id, row, actor_id, now, today)
    return done or ["no change"]


def import_plan(db, child_id, row, actor_id, now, today):
    """Start the row's plan, correct the plan in force, or end it and start another; never end one
    without a new plan (a plan missing from the export is kept)."""
    plan = plan_key(row.get("plan", ""))
    if plan is None:
        raise cases.CaseInvalid({"plan": f"'{row['plan']}' is not a plan Fieldvisit knows ("
                                 + ", ".join(label for k, label in PLANS.items() if k != "none") + ")"})
    if plan == "none":
        return []
    category = category_key(row.get("plan_category", "")) if plan == "child_protection" else None
    if plan == "child_protection" and category is None:
        raise cases.CaseInvalid({"plan_category": "a child protection plan needs its category ("
                                 + ", ".join(PLAN_CATEGORIES.values()) + ")"})
    data = {"plan": plan, "category": category, "start_date": row.get("plan_start_date", ""),
            "review_date": row.get("plan_review_date", "")}
    current = cases.current_plan(db, child_id)
    if current is None:
        cases.start_plan(db, child_id, data, actor_id, now, today, source="import")
        return [f"start {PLANS[plan].lower()}"]
    if current["plan"] == plan:
        changed = cases.update_plan(db, child_id, data, actor_id, now, today, source="import")
        return ["update plan (" + ", ".join(HEADING_OF.get(f, f) for f in changed) + ")"] if changed else []
    cases.end_plan(db, child_id, {"end_date": data["start_date"], "end_reason": "other"}, actor_id, now, today,
                   source="import")
    cases.start_plan(db, child_id, data, actor_id, now, today, source="import")
    return [f"end {PLANS[current['plan']].lower()}", f"start {PLANS[plan].lower()}"]


def import_families(db, content, apply=False, actor_id=None, route="fieldvisit import families", now=None):
    """Work through the file and report each row: {line, reference, child, action, details}.

    Returns {"refused_file": why or None, "rows": [...], "applied": bool, "ignored_columns": [...],
    "counts": {...}}.
    """
    now = now or datetime.now()
    today = now.date() if isinstance(now, datetime) else date.today()
    report = {"refused_file": None, "rows": [], "applied": False, "ignored_columns": [], "counts": {}}
    try:
        rows, report["ignored_columns"] = read_rows(content)
    except FileRefused as refused:
        report["refused_file"] = str(refused)
        return report
    if not rows:
        report["refused_file"] = "The file has a heading row but no rows of children."
        return report
    inconsistent = inconsistent_families(rows)
    teams = team_ids(db)
    seen_children = {}
    # The write lock at once (as the sync engine takes it): a dry run sees exactly what applying would.
    began = not db.conn.in_transaction
    if began:
        db.execute("BEGIN IMMEDIATE")
    db.execute("SAVEPOINT import_families")
    try:
        for line, row in rows:
            entry = {"line": line, "reference": row["case_reference"],
                     "child": f"{row['first_name']} {row['last_name']}".strip(), "action": "refuse", "details": []}
            problems = row_problems(row)
            if not row["case_reference"]:
                problems.append("Case Reference is empty: every family needs the case system's reference")
            if row["case_reference"] in inconsistent:
                problems.append(inconsistent[row["case_reference"]])
            identity = (row["case_reference"], row.get("child_reference") or
                        (key(row["first_name"]), key(row["last_name"]), row["date_of_birth"]))
            if identity in seen_children and not problems:
                earlier_line, earlier = seen_children[identity]
                if earlier != row:
                    problems.append(f"the same child is on line {earlier_line} with different details")
                else:
                    entry.update(action="skip", details=[f"the same row as line {earlier_line}"])
                    report["rows"].append(entry)
                    continue
            seen_children.setdefault(identity, (line, row))
            if not problems:
                db.execute("SAVEPOINT import_row")
                try:
                    entry["details"] = import_row(db, row, teams, actor_id, now, today, route)
                    entry["action"] = ("create" if any(d.startswith("create") for d in entry["details"])
                                       else "unchanged" if entry["details"] == ["no change"] else "update")
                    db.execute("RELEASE import_row")
                except cases.CaseInvalid as invalid:
                    db.execute("ROLLBACK TO import_row")
                    db.execute("RELEASE import_row")
                    problems = in_words(invalid.errors)
            if problems:
                entry["details"] = problems
            report["rows"].append(entry)
        refused = any(entry["action"] == "refuse" for entry in report["rows"])
        if apply and not refused:
            db.execute("RELEASE import_families")
            report["applied"] = True
        else:
            db.execute("ROLLBACK TO import_families")
            db.execute("RELEASE import_families")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK TO import_families")
            db.execute("RELEASE import_families")
            if began:
                db.execute("ROLLBACK")
        raise
    if began:
        db.execute("COMMIT")
    for entry in report["rows"]:
        report["counts"][entry["action"]] = report["counts"].get(entry["action"], 0) + 1
    return report


def report_lines(report):
    """The report as lines of plain text (the command prints them; the page shows a table)."""
    if report["refused_file"]:
        return [f"The whole file is refused, nothing was imported: {report['refused_file']}"]
    lines = []
    if report["ignored_columns"]:
        lines.append("Columns not used: " + ", ".join(report["ignored_columns"]))
    for entry in report["rows"]:
        lines.append(f"line {entry['line']}: {entry['action'].upper()} {entry['reference']} {entry['child']}: "
                     + "; ".join(entry["details"]))
    counts = ", ".join(f"{count} {action}" for action, count in sorted(report["counts"].items()))
    if report["applied"]:
        lines.append(f"Imported: {counts}.")
    elif any(entry["action"] == "refuse" for entry in report["rows"]):
        lines.append(f"Nothing was imported ({counts}): fix or remove the refused rows and run it again.")
    else:
        lines.append(f"Dry run, nothing was imported ({counts}). Run it again with --apply to import.")
    return lines
