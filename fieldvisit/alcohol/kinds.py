"""The record kind the alcohol area sends through the sync engine: an AUDIT-C (and AUDIT)
self-assessment done with a parent on a visit (rule 14)."""
from fieldvisit.alcohol import domain
from fieldvisit.alcohol.forms import AlcoholAuditForm, to_alcohol_audit
from fieldvisit.records import apply_form, family_of_visit, form_check


def apply_alcohol_audit(db, item, context):
    author, visit_id = context["author"], item["payload"].get("visit_id")
    family_of_visit(db, author, visit_id)
    return apply_form(
        db, item, context, form_check(AlcoholAuditForm),
        lambda form, recorded_at: to_alcohol_audit(form, visit_id, recorded_at),
        lambda assessment: domain.record_alcohol_audit(db, assessment, author, context["received_at"]),
        domain.AuditInvalid, "alcohol_audit")


KINDS = {"alcohol_audit": apply_alcohol_audit}
