"""Escalations: what a safeguarding rule raises, the actions it requires, and closing it.

A rule (see fieldvisit/rules modules) decides *that* an escalation is due; this module
stores it once per (rule, origin, child), so a record replayed from a device never
raises the same escalation twice.
"""
from datetime import datetime, timedelta

from fieldvisit.workdays import add_working_days


class EscalationInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def raise_escalation(db, *, family_id, child_id, rule, title, source, actions, deadline,
                     origin_kind, origin_id, raised_by, raised_at):
    """Store an escalation and its required actions; returns its id (the existing one if raised before)."""
    existing = db.execute(
        "SELECT id FROM escalations WHERE rule = ? AND origin_kind = ? AND origin_id = ? AND child_id IS ?",
        [rule, origin_kind, str(origin_id), child_id]).fetchone()
    if existing:
        return existing[0]
    escalation_id = db["escalations"].insert({
        "family_id": family_id, "child_id": child_id, "rule": rule, "title": title, "source": source,
        "origin_kind": origin_kind, "origin_id": str(origin_id), "raised_at": raised_at,
        "raised_by": raised_by, "deadline": deadline, "status": "open",
    }).last_pk
    db["escalation_actions"].insert_all(
        [{"escalation_id": escalation_id, "position": position, "description": description}
         for position, description in enumerate(actions, start=1)])
    return escalation_id


def mark_action_done(db, action_id, practitioner_id, done_at, note=""):
    """Record who did a required action and when; an action is marked done once."""
    row = db.execute(
        "SELECT a.done_at, e.status FROM escalation_actions a JOIN escalations e ON e.id = a.escalation_id"
        " WHERE a.id = ?", [action_id]).fetchone()
    if row is None:
        raise EscalationInvalid({"action": "That action does not exist."})
    if row[1] != "open":
        raise EscalationInvalid({"action": "This escalation is closed."})
    if row[0] is not None:
        return False
    db.execute("UPDATE escalation_actions SET done_at = ?, done_by = ?, note = ? WHERE id = ?",
               [done_at, practitioner_id, note, action_id])
    return True


def close_escalation(db, escalation_id, practitioner_id, closed_at, rationale=""):
    """Close an escalation: every action must be done, or a rationale recorded for closing anyway."""
    outstanding = db.execute(
        "SELECT count(*) FROM escalation_actions WHERE escalation_id = ? AND done_at IS NULL",
        [escalation_id]).fetchone()[0]
    if outstanding and not rationale.strip():
        raise EscalationInvalid({"rationale": f"{outstanding} required action(s) are not done: "
                                              "mark them done, or record why you are closing it anyway."})
    db.execute("UPDATE escalations SET status = 'closed', closed_at = ?, closed_by = ?, closing_rationale = ?"
               " WHERE id = ? AND status = 'open'", [closed_at, practitioner_id, rationale.strip(), escalation_id])


def escalation_with_actions(db, escalation_id):
    rows = list(db.query("SELECT * FROM escalations WHERE id = ?", [escalation_id]))
    if not rows:
        return None
    escalation = rows[0]
    escalation["actions"] = list(db.query(
        "SELECT a.*, p.display_name AS done_by_name FROM escalation_actions a"
        " LEFT JOIN practitioners p ON p.id = a.done_by WHERE a.escalation_id = ? ORDER BY a.position",
        [escalation_id]))
    return escalation


def local_time(value):
    """A stored time as naive local time: device and server times may carry a zone, visit times do not."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if len(str(value)) == 10:
        moment = moment.replace(hour=23, minute=59)
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def record_deadline(happened, partnership, critical):
    """Rule 18: a visit record is due within N working days, or 24 hours for a critical event."""
    if critical:
        return happened + timedelta(hours=partnership["critical_recording_deadline_hours"])
    due = add_working_days(happened.date(), partnership["recording_deadline_working_days"])
    return datetime.combine(due, happened.time())
