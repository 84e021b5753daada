"""The rota as plain data: visiting rules, scheduling with a kept history, clashes, and the
unannounced-visit proposer. No Flask here.

Scheduling rows are the only records that change (OFFLINE.md): each change bumps
`scheduled_visits.version` and adds a row to `scheduled_visit_changes` (who, when, why,
before and after); a change made from an older version is a conflict, never applied.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fieldvisit.rows import grouped_rows
from fieldvisit.workdays import add_working_days, is_working_day, to_date, working_days_between

# A practitioner's visits this close together (minutes) are a clash for them.
PRACTITIONER_GAP_MINUTES = 90


class RotaInvalid(Exception):
    """A change the rota cannot take; `errors` maps a form field to its message. Nothing is changed."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class RotaConflict(Exception):
    """The visit was changed by someone else since this change was started from `base_version`."""

    def __init__(self, current, changes):
        super().__init__("the scheduled visit has changed since it was opened")
        self.current = current
        self.changes = changes


def iso_minutes(moment):
    return moment.isoformat(timespec="minutes")


# --- visiting rules (rule 15) ------------------------------------------------------------

def set_visiting_rules(db, child_id, rules, author_id, now):
    """Record the visiting rules of a child's plan: a new row, so the earlier rules are kept."""
    errors = {}
    for field in ("every_working_days", "seen_alone_every_visits", "bedroom_seen_every_visits"):
        value = rules.get(field)
        if not isinstance(value, int) or value < 1:
            errors[field] = "Enter a whole number of 1 or more"
    if not (rules.get("reason") or "").strip():
        errors["reason"] = "Say why the visiting rules are changing"
    plan = db.execute("SELECT plan FROM children WHERE id = ?", [child_id]).fetchone()
    if plan is None or plan[0] == "none":
        errors["child"] = "Only a child on a plan has visiting rules"
    if errors:
        raise RotaInvalid(errors)
    return db["visiting_rules"].insert({
        "child_id": child_id, "every_working_days": rules["every_working_days"],
        "seen_alone_every_visits": rules["seen_alone_every_visits"],
        "bedroom_seen_every_visits": rules["bedroom_seen_every_visits"],
        "unannounced": int(bool(rules.get("unannounced"))), "reason": rules["reason"].strip(),
        "set_by": author_id, "set_at": now.isoformat(timespec="seconds"),
    }).last_pk


def visiting_rules_history(db, child_id):
    return list(db.query(
        "SELECT r.*, p.display_name AS set_by_name FROM visiting_rules r JOIN practitioners p ON p.id = r.set_by"
        " WHERE r.child_id = ? ORDER BY r.id DESC", [child_id]))


# --- who may be put on a family's rota ----------------------------------------------------

def eligible_practitioners(db, family_id):
    """Active practitioners of the family's team, and anyone assigned to the family (other agencies)."""
    return list(db.query(
        "SELECT p.id, p.display_name, p.role, p.team_id, t.agency_id, a.name AS agency_name"
        " FROM practitioners p JOIN teams t ON t.id = p.team_id JOIN agencies a ON a.id = t.agency_id"
        " WHERE p.active = 1 AND p.role != 'admin' AND (p.team_id = (SELECT team_id FROM families WHERE id = :f)"
        " OR p.id IN (SELECT practitioner_id FROM assignments WHERE family_id = :f))"
        " ORDER BY p.display_name", {"f": family_id}))


def team_members(db, team_id):
    """The active practitioners of a team (not its admins), by name: the rows of the team's week."""
    return list(db.query(
        "SELECT p.id, p.display_name, p.role, a.name AS agency_name FROM practitioners p"
        " JOIN teams t ON t.id = p.team_id JOIN agencies a ON a.id = t.agency_id"
        " WHERE p.team_id = ? AND p.active = 1 AND p.role != 'admin' ORDER BY p.display_name",
        [team_id]))


def assigned_in_team(db, family_id, team_id):
    """Ids of the family's assigned practitioners who are of this team, by name."""
    return [row[0] for row in db.execute(
        "SELECT a.practitioner_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
        " WHERE a.family_id = ? AND p.team_id = ? ORDER BY p.display_name", [family_id, team_id])]


def practitioner_names(db):
    """{practitioner id: display name} of everyone (names in a visit's change history)."""
    return {p["id"]: p["display_name"] for p in db.query("SELECT id, display_name FROM practitioners")}


# --- scheduling, reassigning, cancelling ---------------------------------------------------

SCHEDULED_VISIT_SQL = (
    "SELECT s.*, p.display_name AS practitioner_name, p.team_id AS practitioner_team_id, t.agency_id,"
    " a.name AS agency_name,"
    " f.name AS family_name, f.team_id FROM scheduled_visits s"
    " JOIN practitioners p ON p.id = s.practitioner_id LEFT JOIN teams t ON t.id = p.team_id"
    " LEFT JOIN agencies a ON a.id = t.agency_id JOIN families f ON f.id = s.family_id")


def scheduled_visit(db, scheduled_id):
    rows = list(db.query(SCHEDULED_VISIT_SQL + " WHERE s.id = ?", [scheduled_id]))
    return rows[0] if rows else None


def snapshot(row):
    """The scheduling fields a change can touch, as kept in the history."""
    return {key: row[key] for key in ("practitioner_id", "visit_type", "due_at", "joint", "status")}


def check_slot(db, family_id, practitioner_id, due_at, now, errors, moved=True):
    if moved and due_at <= now:
        errors["due_date"] = "The visit must be in the future: choose a date and time after now"
    if practitioner_id not in {p["id"] for p in eligible_practitioners(db, family_id)}:
        errors["practitioner_id"] = ("Choose a practitioner in the family's team or assigned to the family")


def add_change(db, scheduled_id, version, change, reason, author_id, now, before, after):
    db["scheduled_visit_changes"].insert({
        "scheduled_visit_id": scheduled_id, "version": version, "change": change, "reason": reason,
        "changed_by": author_id, "changed_at": now.isoformat(timespec="seconds"),
        "before": json.dumps(before) if before is not None else None, "after": json.dumps(after)})


def schedule_visit(db, *, family_id, practitioner_id, visit_type, due_at, joint, reason, author_id, now):
    """Put a visit on the rota; returns its id. Raises RotaInvalid with nothing stored."""
    errors = {}
    if visit_type not in ("planned", "unannounced"):
        errors["visit_type"] = "Choose planned or unannounced"
    check_slot(db, family_id, practitioner_id, due_at, now, errors)
    if errors:
        raise RotaInvalid(errors)
    row = {"family_id": family_id, "practitioner_id": practitioner_id, "visit_type": visit_type,
           "due_at": iso_minutes(due_at), "status": "scheduled", "joint": int(bool(joint)), "version": 1,
           "created_by": author_id, "created_at": now.isoformat(timespec="seconds")}
    scheduled_id = db["scheduled_visits"].insert(row).last_pk
    add_change(db, scheduled_id, 1, "scheduled", (reason or "").strip(), author_id, now, None, snapshot(row))
    return scheduled_id


def _current_or_conflict(db, scheduled_id, base_version):
    current = scheduled_visit(db, scheduled_id)
    if current is None:
        raise RotaInvalid({"scheduled_visit": "That visit is not on the rota."})
    if base_version != current["version"]:
        raise RotaConflict(current, changes_for(db, [scheduled_id], after_version=base_version).get(scheduled_id, []))
    if current["status"] != "scheduled":
        raise RotaInvalid({"scheduled_visit": f"This visit has been {current['status']}: it can no longer be changed."})
    return current


def change_visit(db, scheduled_id, *, base_version, practitioner_id, due_at, joint, reason, author_id, now):
    """Reschedule, reassign or mark joint; returns the new version."""
    current = _current_or_conflict(db, scheduled_id, base_version)
    errors = {}
    moved = iso_minutes(due_at) != current["due_at"]
    check_slot(db, current["family_id"], practitioner_id, due_at, now, errors, moved=moved)
    if not (reason or "").strip():
        errors["reason"] = "Say why the visit is changing"
    after = dict(snapshot(current), practitioner_id=practitioner_id, due_at=iso_minutes(due_at), joint=int(bool(joint)))
    if not errors and after == snapshot(current):
        errors["due_date"] = "Nothing has changed: change the date, time, practitioner or joint visit"
    if errors:
        raise RotaInvalid(errors)
    return _apply(db, current, after, "changed", reason, author_id, now)


def cancel_visit(db, scheduled_id, *, base_version, reason, author_id, now):
    current = _current_or_conflict(db, scheduled_id, base_version)
    if not (reason or "").strip():
        raise RotaInvalid({"reason": "Say why the visit is cancelled"})
    return _apply(db, current, dict(snapshot(current), status="cancelled"), "cancelled", reason, author_id, now)


def _apply(db, current, after, change, reason, author_id, now):
    version = current["version"] + 1
    cursor = db.execute(
        "UPDATE scheduled_visits SET practitioner_id = ?, due_at = ?, joint = ?, status = ?, version = ?"
        " WHERE id = ? AND version = ?",
        [after["practitioner_id"], after["due_at"], after["joint"], after["status"], version,
         current["id"], current["version"]])
    if cursor.rowcount != 1:  # changed between our read and our write
        raise RotaConflict(scheduled_visit(db, current["id"]), [])
    add_change(db, current["id"], version, change, reason.strip(), author_id, now, snapshot(current), after)
    return version


def changes_for(db, scheduled_ids, after_version=0):
    """{scheduled visit id: its changes, oldest first, with who made them}."""
    grouped = grouped_rows(
        db, "SELECT c.*, p.display_name AS changed_by_name FROM scheduled_visit_changes c"
        " JOIN practitioners p ON p.id = c.changed_by"
        " WHERE c.scheduled_visit_id IN ({ids}) AND c.version > ? ORDER BY c.version",
        scheduled_ids, "scheduled_visit_id", [after_version])
    for rows in grouped.values():
        for row in rows:
            row["before"] = json.loads(row["before"]) if row["before"] else None
            row["after"] = json.loads(row["after"])
    return grouped


# --- clashes (rule 16) ---------------------------------------------------------------------

def clashing_ids(visits):
    """Ids of visits where two agencies visit the same family on the same day, unless both are joint."""
    by_day = {}
    for visit in visits:
        if visit["status"] != "cancelled":
            by_day.setdefault((visit["family_id"], visit["due_at"][:10]), []).append(visit)
    clashing = set()
    for same_day in by_day.values():
        for i, first in enumerate(same_day):
            for second in same_day[i + 1:]:
                if first["agency_id"] != second["agency_id"] and not (first["joint"] and second["joint"]):
                    clashing.update((first["id"], second["id"]))
    return clashing


def agency_of_practitioner(db, practitioner_id):
    if not isinstance(practitioner_id, int):
        return None
    row = db.execute("SELECT t.agency_id FROM practitioners p JOIN teams t ON t.id = p.team_id WHERE p.id = ?",
                     [practitioner_id]).fetchone()
    return row[0] if row else None


def other_agencies_on_day(db, family_id, day, agency_id):
    """The family's visits on `day` (a date) by an agency other than `agency_id`, not cancelled:
    what a new visit that day would clash with unless both are joint (rule 16). Shown while the
    date is chosen (issue 12), not only after the visit is put on the rota."""
    # due_at is "YYYY-MM-DDTHH:MM": the day's visits sort from "YYYY-MM-DD" to before "YYYY-MM-DDU", so
    # the next day is not worked out and 31 December 9999 is refused by the form, not an OverflowError.
    same_day = db.query(SCHEDULED_VISIT_SQL + " WHERE s.family_id = ? AND s.due_at >= ? AND s.due_at < ?"
                        " AND s.status != 'cancelled' ORDER BY s.due_at",
                        [family_id, day.isoformat(), day.isoformat() + "U"])
    return [visit for visit in same_day if visit["agency_id"] != agency_id]


def visits_between(db, families_sql, params, start, end):
    """Scheduled (and recorded) visits to these families from `start` up to `end` (dates)."""
    return list(db.query(
        SCHEDULED_VISIT_SQL + f" WHERE s.family_id IN ({families_sql}) AND s.due_at >= :start_day"
        " AND s.due_at < :end_day AND s.status != 'cancelled' ORDER BY s.due_at",
        dict(params, start_day=start.isoformat(), end_day=end.isoformat())))


def family_visits(db, family_id, limit=60):
    """A family's visits, latest first, every status."""
    return list(db.query(SCHEDULED_VISIT_SQL + " WHERE s.family_id = ? ORDER BY s.due_at DESC LIMIT ?",
                         [family_id, limit]))


def same_day_visits(db, family_id, day):
    """A family's visits on a day (an ISO date), not cancelled: what a visit may clash with (rule 16)."""
    return list(db.query(SCHEDULED_VISIT_SQL + " WHERE s.family_id = ? AND substr(s.due_at, 1, 10) = ?"
                         " AND s.status != 'cancelled'", [family_id, day]))


def planned_visits_from(db, family_id, now):
    """The planned visits still to come (from `now`, ISO minutes), soonest first: never an unannounced one."""
    return list(db.query(
        SCHEDULED_VISIT_SQL + " WHERE s.family_id = ? AND s.visit_type = 'planned' AND s.status = 'scheduled'"
        " AND s.due_at >= ? ORDER BY s.due_at", [family_id, now]))


def due_this_week(children, week_end):
    """Children on a plan overdue or due by the end of the week, worst first."""
    due = [c for c in children if c.get("next_due") and (c["overdue_working_days"] > 0 or c["next_due"] <= week_end)]
    return sorted(due, key=lambda c: (-c["overdue_working_days"], c["next_due"], c["date_of_birth"]))


# --- the unannounced-visit proposer (rule 16) ----------------------------------------------

@dataclass(frozen=True)
class Proposal:
    day: date
    at: time
    late: bool = False  # no clash-free day within the plan's frequency: the first free day after

    @property
    def due_at(self):
        return datetime.combine(self.day, self.at)


def time_bands(hours):
    """Split the visiting hours into bands of about two hours (morning, midday, after school...)."""
    start, end = hours
    bands, hour = [], start
    while hour < end:
        bands.append((hour, min(hour + 2, end)))
        hour += 2
    return bands


def band_of(moment_time, bands):
    for index, (start, end) in enumerate(bands):
        if start <= moment_time.hour < end:
            return index
    return None


def _pick_weighted(rng, options, usage):
    """Less-used options are more likely, so a family sees no habit; ties are chance."""
    weights = [1 / (1 + usage.get(option, 0)) ** 2 for option in options]
    return rng.choices(options, weights=weights)[0]


def propose_unannounced(*, today, every, last_visit, until, rng, fixed_days=(), busy_days=(),
                        history=(), practitioner_busy=None, hours=(8, 19), at_least=1):
    """Dates and times for unannounced visits from tomorrow up to `until`.

    Together with the visits already fixed on the rota (`fixed_days`), no gap after
    `last_visit` is longer than `every` working days; no proposal falls on a fixed or
    busy day (another agency's visit: a clash) or within PRACTITIONER_GAP_MINUTES of
    the practitioner's other visits; consecutive visits do not share a weekday or a
    time band, and the weekdays and times the family has had most (`history`) are
    least likely.
    """
    practitioner_busy = practitioner_busy or {}
    blocked = set(busy_days) | set(fixed_days)
    fixed = sorted(d for d in fixed_days if d > today)
    bands = time_bands(hours)
    weekday_use, band_use = {}, {}
    for moment in history:
        weekday_use[moment.weekday()] = weekday_use.get(moment.weekday(), 0) + 1
        band = band_of(moment.time(), bands)
        band_use[band] = band_use.get(band, 0) + 1
    latest = max(history, default=None)
    previous_weekday = latest.weekday() if latest else None
    previous_band = band_of(latest.time(), bands) if latest else None
    earliest = today + timedelta(days=1)
    anchor = last_visit or today
    proposals = []

    def free(day):
        return is_working_day(day) and day not in blocked and day >= earliest

    while True:
        deadline = add_working_days(anchor, every)
        overdue = deadline < earliest
        if overdue:  # already overdue: as soon as possible, within a few working days
            soon = [d for d in (earliest + timedelta(days=n) for n in range(21)) if free(d)][:max(2, every // 2)]
        next_fixed = next((d for d in fixed if anchor < d <= (soon[-1] if overdue and soon else max(deadline, earliest))), None)
        if next_fixed:  # a visit already on the rota comes in time: count from it
            anchor, previous_weekday = next_fixed, next_fixed.weekday()
            continue
        if deadline > until:
            break
        window = [anchor + timedelta(days=n) for n in range(1, (deadline - anchor).days + 1)]
        window = [d for d in window if free(d)]
        late = False
        if overdue:
            window = soon
            if not window:  # not one free working day in the next three weeks
                break
        elif not window:  # every day within the frequency clashes: the first free day after it
            late = True
            window = [next(d for d in (deadline + timedelta(days=n) for n in range(1, 60)) if free(d))]
        later_half = [d for d in window if working_days_between(anchor, d) >= (every + 1) // 2]
        candidates = later_half or window
        other_weekday = [d for d in candidates if d.weekday() != previous_weekday]
        candidates = other_weekday or candidates
        day = _pick_by_weekday(rng, candidates, weekday_use)
        at = _pick_time(rng, bands, band_use, previous_band, practitioner_busy.get(day, []))
        proposals.append(Proposal(day, at, late))
        blocked.add(day)
        weekday_use[day.weekday()] = weekday_use.get(day.weekday(), 0) + 1
        band = band_of(at, bands)
        band_use[band] = band_use.get(band, 0) + 1
        anchor, previous_weekday, previous_band = day, day.weekday(), band
    if len(proposals) < at_least:
        window = [today + timedelta(days=n) for n in range(1, (until - today).days + 1)]
        window = [d for d in window if free(d) and d not in {p.day for p in proposals}]
        other_weekday = [d for d in window if d.weekday() != previous_weekday] or window
        if other_weekday:
            day = _pick_by_weekday(rng, other_weekday, weekday_use)
            proposals.append(Proposal(day, _pick_time(rng, bands, band_use, previous_band,
                                                      practitioner_busy.get(day, []))))
    return sorted(proposals, key=lambda p: p.day)


def _pick_by_weekday(rng, days, weekday_use):
    weekday = _pick_weighted(rng, sorted({d.weekday() for d in days}), weekday_use)
    return rng.choice([d for d in days if d.weekday() == weekday])


def _pick_time(rng, bands, band_use, previous_band, busy_times):
    """A time on the quarter hour in a band unlike the last visit's, clear of the practitioner's visits."""
    choices = [i for i in range(len(bands)) if i != previous_band] or list(range(len(bands)))
    for _ in range(40):
        band = _pick_weighted(rng, choices, band_use)
        start, end = bands[band]
        minutes = rng.randrange(start * 60, end * 60, 15)
        at = time(minutes // 60, minutes % 60)
        if all(abs(minutes - (b.hour * 60 + b.minute)) >= PRACTITIONER_GAP_MINUTES for b in busy_times):
            return at
    return at


def family_proposal_inputs(db, family_id, practitioner_id, children, today, until):
    """What the proposer needs to know about a family, from the central record."""
    with_rules = [c for c in children if c.get("rules")]
    every = min((c["rules"]["every_working_days"] for c in with_rules), default=None)
    anchors = []
    for child in with_rules:
        anchors.append(to_date(child["last_seen"]) if child.get("last_seen")
                       else to_date(child["plan_start_date"]) or today)
    scheduled = list(db.query(
        "SELECT s.due_at, s.practitioner_id FROM scheduled_visits s WHERE s.status = 'scheduled'"
        " AND ((s.family_id = :f AND s.due_at > :today) OR (s.practitioner_id = :p AND s.due_at >= :today))"
        " AND s.due_at < :until", {"f": family_id, "p": practitioner_id, "today": today.isoformat(),
                                  "until": (until + timedelta(days=1)).isoformat()}))
    family_days = {to_date(s["due_at"]) for s in db.query(
        "SELECT due_at FROM scheduled_visits WHERE family_id = ? AND status = 'scheduled' AND due_at > ?"
        " AND due_at < ?", [family_id, today.isoformat(), (until + timedelta(days=1)).isoformat()])}
    practitioner_busy = {}
    for s in scheduled:
        if s["practitioner_id"] == practitioner_id:
            moment = datetime.fromisoformat(s["due_at"])
            practitioner_busy.setdefault(moment.date(), []).append(moment.time())
    history = [datetime.fromisoformat(row[0]) for row in db.execute(
        "SELECT happened_at FROM visit_records WHERE family_id = ? ORDER BY happened_at DESC LIMIT 40", [family_id])]
    history += [datetime.fromisoformat(row[0]) for row in db.execute(
        "SELECT due_at FROM scheduled_visits WHERE family_id = ? AND status != 'cancelled'"
        " ORDER BY due_at DESC LIMIT 40", [family_id])]
    return {"every": every, "last_visit": min(anchors, default=None), "fixed_days": family_days,
            "practitioner_busy": practitioner_busy, "history": history}
