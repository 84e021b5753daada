// Rules 1-3, 10 and 12 on the tablet (SAFEGUARDING.md): the escalation a saved record raises is shown at
// once, with no signal, as the team lead will see it, and whether it has reached them yet.
//
// The server renders each escalation a form could raise into a hidden [data-fv-escalation-preview]
// block (templates/escalations/_preview.html: the title and the required actions from the
// partnership's pathway). When record-forms.js has put a record in the outbox ("fieldvisit:saved"),
// this module makes the server's own decision on the saved fields and shows the blocks it raises,
// marked "Not yet sent to your team lead"; once the central record has the record (its receipt, or
// the outbox no longer holding it) they say "Sent to your team lead".
//
// The decisions are the server's, and must stay so (change both together):
//   fieldvisit/bodymap/rules.py: escalations_for_mark (rules 1-3), counts_as_bruise, birthmark_confirmed
//   fieldvisit/children_alone/rules.py: after_visit_recorded (found_alone with child_alone not "no")
//   fieldvisit/safe_sleep/rules.py: co_sleeping_risk (a baby the page asked about, on a completed visit)

import { item as outboxItem } from "/static/js/outbox.js";

const BRUISES = new Set(["bruise", "possible_bruise"]);
const MARK_KINDS = new Set(["bodymap_mark", "bodymap_mark_amendment"]);
export const STATUS = {
  waiting: "Not yet sent to your team lead",
  sent: "Sent to your team lead",
  refused: "Not sent to your team lead: the central record did not accept the record. Fix it under “Needs your attention”.",
};

const first = (fields, name) => ((fields[name] || [])[0] || "").trim();

/** WTForms' BooleanField: any value but "" and "false" is ticked. */
const ticked = (fields, name) => !["", "false"].includes(first(fields, name));

/** Rule 5: confirmed only by a Fieldvisit user in a health role, or a registered profession from the list. */
export function birthmarkConfirmed(fields, facts) {
  if (first(fields, "believed_birthmark") !== "yes") return false;
  const confirmer = first(fields, "birthmark_confirmer");
  if (confirmer === "me") return Boolean(facts.mayConfirm);
  return confirmer === "outside" && Boolean(first(fields, "birthmark_confirmed_by"))
    && facts.professions.includes(first(fields, "birthmark_confirmer_profession"))
    && Boolean(first(fields, "birthmark_confirmed_on"));
}

/** Rule 1: a bruise, a possible bruise or an unconfirmed believed birthmark on a child not independently mobile. */
export function bruiseOnNonMobileChild(fields, facts) {
  if (!facts.notMobile || birthmarkConfirmed(fields, facts)) return false;
  return BRUISES.has(first(fields, "mark_type")) || first(fields, "believed_birthmark") === "yes";
}

/** Rule 2: any injury (every mark but a confirmed birthmark) on a child on a child protection plan. */
export function injuryOnProtectionPlan(fields, facts) {
  return Boolean(facts.onPlan) && !birthmarkConfirmed(fields, facts);
}

/** Rule 3: a patterned mark, clustered bruises, or an explanation recorded as not consistent with the mark. */
export function suspectMaltreatment(fields) {
  const pattern = first(fields, "pattern") || "none";
  const explained = first(fields, "explanation_by") !== "none";
  return pattern !== "none" || ticked(fields, "clustered") || (explained && first(fields, "consistent") === "no");
}

/** Rule 10: [{childId, kind}] of each child found alone or with an unsuitable carer on this visit. */
export function childrenFoundAlone(fields) {
  const kind = first(fields, "child_alone");
  if (!kind || kind === "no") return [];
  return Object.keys(fields)
    .filter((name) => /^children-\d+-found_alone$/.test(name) && ticked(fields, name))
    .map((name) => ({ childId: first(fields, name.replace(/found_alone$/, "child_id")), kind }));
}

/** Alcohol the practitioner observed on the visit counts as the carer having drunk (issue 11). */
function alcoholObserved(fields) {
  const bottles = Object.keys(fields).filter((name) => /^containers-\d+-count$/.test(name))
    .reduce((sum, name) => sum + (Number.parseInt(first(fields, name), 10) || 0), 0);
  return bottles > 0 || first(fields, "alcohol_smell") === "yes" || first(fields, "intoxication_observed") === "yes";
}

/**
 * Rule 12: is the sleep of the baby at this index of the visit form a co-sleeping risk? A sofa or armchair with an
 * adult always is; sharing a bed is with any risk factor (the carer's, alcohol observed, premature, low birth weight).
 */
export function coSleepingRisk(fields, index, birth) {
  const answer = (name) => fields[`children-${index}-${name}`] || [];
  if (first(fields, "outcome") !== "completed" || (answer("sleep_asked")[0] || "") !== "1") return false;
  const places = answer("sleep_places");
  const onSofa = (answer("shares_sofa")[0] || "") === "yes" || places.includes("sofa_with_adult");
  const inBed = (answer("shares_bed")[0] || "") === "yes" || places.includes("bed_with_adult");
  if (onSofa) return true;
  if (!inBed) return false;
  const carer = answer("carer_risks").some((risk) => risk !== "none");
  const gestation = Number.parseFloat(birth.gestationWeeks);
  const weight = Number.parseFloat(birth.birthWeightKg);
  return carer || alcoholObserved(fields)
    || (Number.isFinite(gestation) && gestation < Number(birth.prematureBeforeWeeks))
    || (Number.isFinite(weight) && weight < Number(birth.lowBirthWeightKg));
}

/** The hidden blocks this saved item raises. */
export function previewsFor(item, root = document) {
  const fields = (item.payload && item.payload.fields) || {};
  const blocks = [...root.querySelectorAll("[data-fv-escalation-preview]")];
  if (MARK_KINDS.has(item.kind)) {
    const decide = {
      bruise_not_independently_mobile: bruiseOnNonMobileChild,
      injury_child_protection_plan: injuryOnProtectionPlan,
      suspect_maltreatment: suspectMaltreatment,
    };
    return blocks.filter((block) => {
      const rule = decide[block.dataset.fvEscalationPreview];
      return Boolean(rule) && rule(fields, {
        notMobile: block.dataset.notMobile === "1", onPlan: block.dataset.onPlan === "1",
        mayConfirm: block.dataset.mayConfirm === "1",
        professions: (block.dataset.professions || "").split(",").filter(Boolean),
      });
    });
  }
  if (item.kind === "visit") {
    const found = childrenFoundAlone(fields);
    const indexOf = (childId) => Object.keys(fields)
      .map((name) => /^children-(\d+)-child_id$/.exec(name))
      .find((match) => match && first(fields, match[0]) === childId);
    return blocks.filter((block) => {
      if (block.dataset.fvEscalationPreview === "child_found_alone") {
        return found.some((child) => child.childId === block.dataset.childId && child.kind === block.dataset.kind);
      }
      if (block.dataset.fvEscalationPreview === "co_sleeping_risk") {
        const match = indexOf(block.dataset.childId);
        return Boolean(match) && coSleepingRisk(fields, match[1], block.dataset);
      }
      return false;
    });
  }
  return [];
}

function pendingIds(block) {
  return (block.dataset.fvItems || "").split(" ").filter(Boolean);
}

function setStatus(block, status) {
  const tag = block.querySelector("[data-fv-escalation-status]");
  block.dataset.fvStatus = status;
  tag.textContent = STATUS[status];
  tag.classList.toggle("govuk-tag--orange", status === "waiting");
  tag.classList.toggle("govuk-tag--green", status === "sent");
  tag.classList.toggle("govuk-tag--red", status === "refused");
}

/** Show the blocks a saved item raises, above the "Saved on this tablet" notice. */
function onSaved(event) {
  const { item } = event.detail;
  const form = event.target;
  const blocks = previewsFor(item);
  // Above the notice (which sits just before the form) so the notice can still be replaced.
  const notice = form.previousElementSibling && form.previousElementSibling.matches("[data-fv-save-notice]")
    ? form.previousElementSibling : form;
  for (const block of blocks) {
    block.dataset.fvItems = [...pendingIds(block), item.id].join(" ");
    setStatus(block, "waiting");
    notice.before(block);
    block.hidden = false;
  }
  if (blocks.length) blocks[0].focus();
}

/** The receipt of the save's own sync. */
function onReceipt(event) {
  const { item, receipt } = event.detail;
  for (const block of document.querySelectorAll("[data-fv-escalation-preview]:not([hidden])")) {
    if (!pendingIds(block).includes(item.id)) continue;
    if (receipt.status === "stored" || receipt.status === "duplicate") settle(block, item.id);
    else setStatus(block, "refused");
  }
}

/** Each time the sync status changes (a sync from this page, another page or the service worker). */
async function onStatus() {
  for (const block of document.querySelectorAll("[data-fv-escalation-preview]:not([hidden])")) {
    for (const id of pendingIds(block)) {
      // IndexedDB answers undefined for an id it does not hold; a failed read says nothing new.
      const entry = await outboxItem(id).then((found) => found || null, () => undefined);
      if (entry === undefined) continue; // could not read the outbox: say nothing new
      if (!entry) settle(block, id); // the outbox lets an item go only on the central record's receipt
      else if (entry.status === "rejected" || entry.status === "conflict") setStatus(block, "refused");
    }
  }
}

/** One of the block's records has reached the central record; "Sent" once all have. */
function settle(block, id) {
  const left = pendingIds(block).filter((pending) => pending !== id);
  block.dataset.fvItems = left.join(" ");
  if (!left.length && block.dataset.fvStatus !== "refused") setStatus(block, "sent");
}

/** A new visit record starts clean; a body map's escalation stays (one per body map on the server too). */
function onRecordAnother(event) {
  if (event.target.dataset.recordKind !== "visit") return;
  for (const block of document.querySelectorAll("[data-fv-escalation-preview]")) {
    block.hidden = true;
    block.dataset.fvItems = "";
  }
}

document.addEventListener("fieldvisit:saved", onSaved);
document.addEventListener("fieldvisit:receipt", onReceipt);
document.addEventListener("fieldvisit:status", onStatus);
document.addEventListener("fieldvisit:record-another", onRecordAnother);
