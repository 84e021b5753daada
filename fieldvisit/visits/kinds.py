"""The record kinds a visit sends through the sync engine: a visit record and its amendment."""
from fieldvisit import access
from fieldvisit.records import NOT_YOURS, apply_form, family_of_visit, form_check, is_row_id
from fieldvisit.visits import checks, domain
from fieldvisit.visits.forms import AmendmentForm, to_amendment
from sync import Rejected


def apply_visit(db, item, context):
    author, family_id = context["author"], item["payload"].get("family_id")
    if not is_row_id(family_id) or not access.can_see_family(db, author, family_id):
        raise Rejected({"family_id": NOT_YOURS})
    return apply_form(
        # Checked in plain Python by the page form's rules (visits/checks.py): a visit is ~105 fields.
        db, item, context, checks.check_visit,
        lambda visit, recorded_at: dict(visit, family_id=family_id, recorded_at=recorded_at),
        lambda visit: domain.record_visit(db, visit, author, context["received_at"]),
        domain.VisitInvalid, "visit")


def apply_amendment(db, item, context):
    author, visit_id = context["author"], item["payload"].get("visit_id")
    family_of_visit(db, author, visit_id)
    return apply_form(
        db, item, context, form_check(AmendmentForm),
        lambda form, recorded_at: to_amendment(form, visit_id, recorded_at),
        lambda amendment: domain.amend_visit(db, amendment, author, context["received_at"]),
        domain.VisitInvalid, "amendment")


# Kind names are a contract with tablets in the field (docs/sync-protocol.md): never rename one.
KINDS = {"visit": apply_visit, "amendment": apply_amendment}
