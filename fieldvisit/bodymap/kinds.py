"""The record kinds the body map sends through the sync engine: a mark, its amendment, and
completing (locking) a body map. The injury rules fire as each mark arrives (rules 1-5)."""
from fieldvisit import audit, settings
from fieldvisit.bodymap import domain
from fieldvisit.bodymap.forms import CompletionForm, MarkAmendmentForm, MarkForm, to_mark, to_mark_amendment
from fieldvisit.families import queries as families
from fieldvisit.records import apply_form, child_of_visit_payload, form_check, visible_family_of


def apply_bodymap_mark(db, item, context):
    author = context["author"]
    visit_id, child_id = child_of_visit_payload(db, author, item["payload"])

    def store(mark):
        stored = domain.record_mark(db, mark, author, context["received_at"])
        domain.raise_escalations(db, stored, families.child(db, child_id), settings.load(db), author["id"],
                                 context["received_at"])

    return apply_form(
        db, item, context, form_check(MarkForm),
        lambda form, recorded_at: to_mark(form, visit_id, child_id, recorded_at),
        store, domain.MarkInvalid, "bodymap_mark")


def apply_bodymap_mark_amendment(db, item, context):
    """A correction of a mark that keeps the original; the rules run again on the mark as amended."""
    author, mark_id = context["author"], item["payload"].get("mark_id")
    row = visible_family_of(db, author, domain.FAMILY_AND_CHILD_OF_MARK_SQL, "mark_id", str(mark_id),
                            "That mark does not exist or is not one you can see.")

    def store(amendment):
        amended, _ = domain.amend_mark(db, amendment, author, context["received_at"])
        domain.raise_escalations(db, amended, families.child(db, row[1]), settings.load(db), author["id"],
                                 context["received_at"])

    return apply_form(
        db, item, context, form_check(MarkAmendmentForm),
        lambda form, recorded_at: to_mark_amendment(form, str(mark_id), recorded_at),
        store, domain.MarkInvalid, "bodymap_mark_amendment")


def apply_bodymap_completion(db, item, context):
    """Completing a body map locks it: every later change is an amendment."""
    author = context["author"]
    visit_id, child_id = child_of_visit_payload(db, author, item["payload"])

    def store(completion):
        body_map_id = domain.complete_body_map(db, completion, author, context["received_at"])
        audit.record(db, author["id"], "write", "body_map", body_map_id, context["route"])

    return apply_form(
        db, item, context, form_check(CompletionForm),
        lambda form, recorded_at: {"id": form.record_id.data.lower(), "visit_id": visit_id, "child_id": child_id},
        store, domain.MarkInvalid, "bodymap_completion")


KINDS = {
    "bodymap_mark": apply_bodymap_mark,
    "bodymap_mark_amendment": apply_bodymap_mark_amendment,
    "bodymap_completion": apply_bodymap_completion,
}
