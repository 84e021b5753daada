// AUDIT-C: once the three answers add up to the positive score, show the remaining seven
// AUDIT questions (SAFEGUARDING.md rule 14). Without this script the server does the same
// on the first save, so the form works with no JavaScript and offline alike.
const form = document.querySelector("[data-audit-form]");

/** The AUDIT-C score from the checked answers to questions 1-3, or null until all three are answered. */
function auditCScore(form) {
  let total = 0;
  for (const name of ["q1", "q2", "q3"]) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    if (!checked) return null;
    total += Number(checked.value);
  }
  return total;
}

/** Say the score, and show or hide the remaining questions. */
function update(form) {
  const threshold = Number(form.dataset.positiveScore);
  const remaining = form.querySelector("[data-audit-remaining]");
  const message = form.querySelector("[data-audit-score]");
  const score = auditCScore(form);
  if (score === null) {
    message.textContent = "Answer the three questions to see the AUDIT-C score.";
    return;
  }
  const positive = score >= threshold;
  message.textContent = positive
    ? `AUDIT-C score: ${score}. This is positive: offer the remaining seven questions below.`
    : `AUDIT-C score: ${score}. This is below ${threshold}: the remaining questions are not needed.`;
  remaining.hidden = !positive;
}

if (form) {
  form.addEventListener("change", () => update(form));
  update(form);
}
