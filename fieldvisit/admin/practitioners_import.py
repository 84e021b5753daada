"""Import practitioners from a staff directory export (CSV; docs/import.md, "Practitioners").

A dry run by default: every row is reported as one it would create, update, leave unchanged or
refuse (with the reasons). Applying writes every row in one transaction, and nothing at all while
any row is refused. Rows are matched by staff id, else by username, so importing the same file
twice changes nothing; accounts not in the file are left alone (an import never deletes).
New accounts have no usable password until an admin issues a one-time code.
"""
import csv
import io

from fieldvisit import audit
from fieldvisit.access import ROLES
from fieldvisit.admin import domain

COLUMNS = ["staff_id", "username", "display_name", "email", "role", "agency", "team", "phone",
           "registration_body", "registration_number"]
REQUIRED_COLUMNS = ["username", "display_name", "role", "agency", "team"]
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): refused, never stored.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 5000
ROLE_NAMES = {**{code: code for code in ROLES}, **{label.lower(): code for code, label in ROLES.items()}}
FIELD_COLUMNS = {"role": "role", "agency_id": "agency", "team_id": "team"}
KEPT_WHEN_EMPTY = ("staff_id", "email", "phone", "registration_body", "registration_number")


class StructuralError(ValueError):
    """The whole file is refused: nothing in it was read as rows."""


def read_rows(data):
    """The rows of a CSV file (bytes), as dicts by column; StructuralError when it is not one we take."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise StructuralError(f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Save it"
                                  " from the spreadsheet as \"CSV UTF-8\" and try again.")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise StructuralError("The file is not a CSV text file.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise StructuralError("The file is empty: the first line must name the columns.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise StructuralError(f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}."
                              f" The first line must name the columns: {', '.join(COLUMNS)}.")
    if len(set(header)) != len(header):
        raise StructuralError("A column is named twice in the first line.")
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if None in row:
                raise StructuralError(f"Line {reader.line_num} has more cells than the first line has columns.")
            rows.append({name: (row.get(name) or "") for name in header})
            if len(rows) > MAX_ROWS:
                raise StructuralError(f"The file has more than {MAX_ROWS} rows: split it.")
    except csv.Error as error:
        raise StructuralError(f"Line {reader.line_num} cannot be read as CSV ({error}).")
    return rows


def plan(db, data):
    """What importing this file would do: a list of {line, username, action, changes, reasons}.
    action is create, update, unchanged or refuse. Raises StructuralError for the whole file."""
    rows = read_rows(data)
    agencies = {row["name"].strip().lower(): row["id"] for row in domain.agencies(db)}
    teams = {(row["agency_id"], row["name"].strip().lower()): row["id"] for row in domain.teams(db)}
    seen_usernames = _duplicates([row.get("username", "").strip().lower() for row in rows])
    seen_staff_ids = _duplicates([row.get("staff_id", "").strip() for row in rows])
    report = []
    for line, row in enumerate(rows, start=2):
        entry = {"line": line, "username": row.get("username", "").strip().lower(),
                 "display_name": row.get("display_name", "").strip(), "action": "refuse", "changes": [], "reasons": []}
        report.append(entry)
        if not any(value.strip() for value in row.values()):
            entry.update(action="skip", reasons=["Empty line"])
            continue
        formulas = [name for name in COLUMNS if row.get(name, "").startswith(FORMULA_STARTS)]
        if formulas:
            entry["reasons"] = [f"The {name} cell starts with {row[name][:1]!r}: it looks like a spreadsheet formula"
                                for name in formulas]
            continue
        if entry["username"] in seen_usernames:
            entry["reasons"].append(f"The username {entry['username']} is on more than one line of the file")
        if row.get("staff_id", "").strip() in seen_staff_ids:
            entry["reasons"].append(f"The staff id {row['staff_id'].strip()} is on more than one line of the file")
        values, reasons = _values(row, agencies, teams)
        entry["reasons"] += reasons
        existing = _existing(db, values)
        if existing == "conflict":
            entry["reasons"].append("The staff id and the username belong to two different accounts")
            continue
        if existing:  # an empty optional cell leaves what the account has (an import never deletes)
            for name in KEPT_WHEN_EMPTY:
                values[name] = values[name] or existing[name]
        errors = domain.practitioner_errors(db, values, existing["id"] if existing else None)
        entry["reasons"] += [message for field, message in errors.items()
                             if not (field in FIELD_COLUMNS and reasons)]
        if entry["reasons"]:
            continue
        entry["values"] = values
        if existing is None:
            entry["action"] = "create"
        else:
            entry["id"] = existing["id"]
            entry["changes"] = [FIELD_COLUMNS.get(name, name) for name in domain.FIELDS
                                if (existing[name] or None) != (values[name] or None)]
            entry["action"] = "update" if entry["changes"] else "unchanged"
            if not existing["active"]:
                entry["reasons"].append("The account is deactivated and stays so")
    return report


def apply(db, report, route, by=None):
    """Write what `plan` reported, in one transaction; nothing while any row is refused.
    Returns the number of accounts created and updated."""
    if any(entry["action"] == "refuse" for entry in report):
        raise ValueError("Some rows are refused: fix them and import the file again. Nothing was imported.")
    created = updated = 0
    with db.atomic():
        for entry in report:
            if entry["action"] == "create":
                practitioner_id = db["practitioners"].insert(
                    dict(_fields(entry["values"]), password_hash="", active=1)).last_pk
                audit.record(db, by, "write", "practitioner", practitioner_id, route)
                created += 1
            elif entry["action"] == "update":
                db["practitioners"].update(entry["id"], _fields(entry["values"]))
                audit.record(db, by, "write", "practitioner", entry["id"], route)
                updated += 1
    return created, updated


def import_practitioners(db, data, apply_changes, route, by=None):
    """Plan the import and, when asked and every row is acceptable, apply it (checked again inside
    the transaction, so nothing changed between the dry run and the writing is missed)."""
    report = plan(db, data)
    if apply_changes and not any(entry["action"] == "refuse" for entry in report):
        with db.atomic():
            report = plan(db, data)
            apply(db, report, route, by)
    return report


def summary(report):
    counts = {action: 0 for action in ("create", "update", "unchanged", "refuse", "skip")}
    for entry in report:
        counts[entry["action"]] += 1
    return counts


def _fields(values):
    return {name: values[name] for name in domain.FIELDS}


def _duplicates(keys):
    seen, twice = set(), set()
    for key in keys:
        if key and key in seen:
            twice.add(key)
        seen.add(key)
    return twice


def _values(row, agencies, teams):
    """The account details of a row, with the agency and team named in it looked up."""
    reasons = []
    role = ROLE_NAMES.get(row.get("role", "").strip().lower().replace("-", "_"))
    if role is None:
        reasons.append(f"Unknown role {row.get('role', '').strip()!r}: use one of {', '.join(ROLES.values())}")
    agency_id = agencies.get(row.get("agency", "").strip().lower())
    if agency_id is None:
        reasons.append(f"Unknown agency {row.get('agency', '').strip()!r}: it must be one of the agencies in Fieldvisit")
    team_name = row.get("team", "").strip()
    team_id = teams.get((agency_id, team_name.lower())) if team_name else None
    if team_name and agency_id is not None and team_id is None:
        reasons.append(f"Unknown team {team_name!r} in this agency: create the team first")
    values = domain.clean_practitioner({
        **{name: row.get(name, "") for name in COLUMNS if name not in ("role", "agency", "team")},
        "role": role or "", "agency_id": str(agency_id or ""), "team_id": str(team_id or "")})
    return values, reasons


def _existing(db, values):
    """The account this row is about: by staff id, else by username; "conflict" when they differ."""
    by_staff = db.execute("SELECT id FROM practitioners WHERE staff_id = ?", [values["staff_id"]]).fetchone() \
        if values["staff_id"] else None
    by_username = db.execute("SELECT id FROM practitioners WHERE username = ?", [values["username"]]).fetchone()
    if by_staff and by_username and by_staff[0] != by_username[0]:
        return "conflict"
    found = by_staff or by_username
    if found is None:
        return None
    return next(db.query("SELECT id, active, " + ", ".join(domain.FIELDS) + " FROM practitioners WHERE id = ?",
                         [found[0]]))
