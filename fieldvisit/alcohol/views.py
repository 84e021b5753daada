"""The page to complete an AUDIT-C (and, when positive, the full AUDIT) with a parent on a visit,
and the pieces that show the results beside the visit's alcohol evidence and on the family page."""
import uuid

from flask import Blueprint, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, records, settings
from fieldvisit.alcohol import domain as alcohol_audit
from fieldvisit.alcohol.forms import AlcoholAuditForm, answers_of
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.visits.domain import visit_record

bp = Blueprint("alcohol", __name__)
RECORDERS = tuple(access.RECORDING_ROLES)


@bp.app_context_processor
def alcohol_audit_helpers():
    """For visit and family pages: their self-assessments, read when the page asks for them."""
    def for_visit(visit_id):
        db = get_db()
        return alcohol_audit.audits_for_visits(db, [visit_id], settings.load(db)).get(visit_id, [])

    def for_family(family_id):
        db = get_db()
        return alcohol_audit.family_trend(db, family_id, settings.load(db))

    return {"alcohol_audits_for_visit": for_visit, "alcohol_audit_trend": for_family,
            "audit_questions": alcohol_audit.QUESTIONS, "parenting_prompts": alcohol_audit.PARENTING_PROMPTS,
            "prompts_note": alcohol_audit.PROMPTS_NOTE}


def remaining_needed(form, partnership):
    """Whether the answers so far make AUDIT-C positive, so the remaining questions are shown."""
    answers = answers_of_safe(form)
    if any(answers[field] is None for field in ("q1", "q2", "q3")):
        return False
    return alcohol_audit.is_positive(answers["q1"] + answers["q2"] + answers["q3"], partnership)


def answers_of_safe(form):
    try:
        return answers_of(form)
    except ValueError:
        return {field: None for field, *_ in alcohol_audit.QUESTIONS}


@bp.route("/visits/<visit_id>/alcohol-audit/new", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def record_alcohol_audit(visit_id):
    db = get_db()
    family_id = access.visit_or_404(db, g.practitioner, visit_id)
    family = families.family(db, family_id)
    visit = visit_record(db, visit_id)
    partnership = settings.load(db)
    adults = [row["name"] for row in families.adults_of_family(db, family_id)]
    form = AlcoholAuditForm() if request.method == "POST" else AlcoholAuditForm(
        formdata=None, data={"record_id": str(uuid.uuid4()), "adult_name": adults[0] if len(adults) == 1 else ""})
    errors = {}
    if request.method == "POST":
        receipt, errors = records.submit_form(db, form, "alcohol_audit", {"visit_id": visit_id}, g.practitioner,
                                              request.form, request.path)
        if receipt and receipt.status in ("stored", "duplicate"):
            return redirect(url_for("visits.show_visit", visit_id=visit_id) + "#alcohol-self-assessment")
        if receipt and receipt.status == "conflict":
            return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    else:
        audit.record(db, g.practitioner["id"], "read", "visit", visit_id, request.path)
    return render_template("alcohol/record.html", form=form, visit=visit, family=family, errors=errors, adults=adults,
                           show_remaining=remaining_needed(form, partnership), partnership=partnership,
                           audit_c=alcohol_audit.AUDIT_C, remaining=alcohol_audit.REMAINING), 400 if errors else 200
