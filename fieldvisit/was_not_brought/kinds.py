"""The record kind Was Not Brought sends through the sync engine: one child's missed, cancelled or
re-arranged appointment (rules 8-9)."""
from fieldvisit.records import apply_form, form_check, is_row_id, visible_family_of
from fieldvisit.was_not_brought import domain
from fieldvisit.was_not_brought.forms import AppointmentEventForm, to_appointment_event


def apply_was_not_brought(db, item, context):
    author, child_id = context["author"], item["payload"].get("child_id")
    visible_family_of(db, author, "SELECT family_id FROM children WHERE id = ?", "child_id",
                      child_id if is_row_id(child_id) else None,
                      "That child does not exist or is not one you can see.")
    return apply_form(
        db, item, context, form_check(AppointmentEventForm),
        lambda form, recorded_at: to_appointment_event(form, child_id, recorded_at),
        lambda event: domain.record_appointment_event(db, event, author, context["received_at"]),
        domain.AppointmentInvalid, "appointment_event")


KINDS = {"was_not_brought": apply_was_not_brought}
