// "When it happened" defaults to now on this tablet, when a record form is opened. The server
// writes its own time into the form when it renders it, but a form opened from the copy kept
// with today's pack was rendered hours earlier (issue 14: a visit at 15:00 recorded as 08:00).
// One function for every record form: the visit form and the body-map mark form.

/** Record kind → the names of its "when it happened" date and time fields. */
export const NOW_FIELDS = {
  visit: ["visit_date", "visit_time"],
  bodymap_mark: ["observed_date", "observed_time"],
};

function pad(number) {
  return String(number).padStart(2, "0");
}

/** The date (YYYY-MM-DD) and time (HH:MM) of `when` on this tablet's clock. */
export function localDateTime(when = new Date()) {
  return {
    date: `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`,
    time: `${pad(when.getHours())}:${pad(when.getMinutes())}`,
  };
}

function controls(form) {
  const names = NOW_FIELDS[form.dataset.recordKind] || [];
  return names.map((name) => form.elements.namedItem(name))
    .filter((control) => control instanceof HTMLInputElement && ["date", "time"].includes(control.type));
}

/**
 * Put now into the form's "when it happened" fields. Left alone: a field the practitioner has
 * already changed (its value is not the one the page came with), and, unless `force` (a form
 * emptied for "Record another"), a form the server sent back with errors or a draft being
 * refilled: those values are what the practitioner gave.
 */
export function fillNow(form, { force = false, when = new Date() } = {}) {
  if (!force) {
    if (/fv-fix=/.test(location.hash)) return false;
    if (form.querySelector(".govuk-error-summary") || document.querySelector("main .govuk-error-summary")) return false;
  }
  const now = localDateTime(when);
  let filled = false;
  for (const control of controls(form)) {
    if (!force && control.value !== control.defaultValue) continue; // changed by the practitioner
    control.value = control.type === "date" ? now.date : now.time;
    filled = true;
  }
  if (filled) form.dataset.fvNowFilled = "yes";
  return filled;
}
