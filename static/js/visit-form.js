// The visit form (issue 12, fewer taps): "All seven are adequate" answers every home-condition heading
// "Adequate" at one tap. Nothing is answered before the practitioner taps it, and each heading can be
// changed after; the notes are left as they are.

for (const box of document.querySelectorAll("[data-fv-all-adequate]")) {
  const form = box.closest("form");
  const note = box.querySelector("[data-fv-all-adequate-note]");
  box.querySelector("button").addEventListener("click", () => {
    const adequate = form ? [...form.querySelectorAll(".fv-condition input[type=radio][value=adequate]")] : [];
    for (const radio of adequate) {
      if (radio.checked) continue;
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    note.setAttribute("role", "status");
    note.textContent = `${adequate.length} headings set to Adequate. Change any that is not.`;
  });
}

// Empty rows of bottles and cans wait behind "Add another" (they are in the form all along, empty).
const addRow = document.querySelector("[data-fv-add-row]");
if (addRow) {
  const spare = () => document.querySelector("[data-fv-spare-row][hidden]");
  addRow.hidden = !spare();
  addRow.addEventListener("click", () => {
    const row = spare();
    if (!row) return;
    row.hidden = false;
    row.querySelector("input, select").focus();
    addRow.hidden = !spare();
  });
}
