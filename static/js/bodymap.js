// The body map: tap the figure to put a numbered marker where the mark is, and fill in
// which body region it is on. Choosing the region from the list (keyboard, screen reader,
// or no JavaScript at all) does the same without a tap; the server works out the region of
// a tapped point from the same shapes, so the page and the record always agree.

const SVG_NS = "http://www.w3.org/2000/svg";

/** A point in the figure's own coordinates (its viewBox) from a tap or click on the screen. */
function figurePoint(svg, event) {
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const inFigure = point.matrixTransform(svg.getScreenCTM().inverse());
  return { x: Math.round(inFigure.x * 10) / 10, y: Math.round(inFigure.y * 10) / 10 };
}

/** Remove the marker of the mark being recorded, wherever it is. */
function removePendingMarker(container) {
  container.querySelectorAll(".bm-marker--pending").forEach((marker) => marker.remove());
}

/** Draw the numbered marker of the mark being recorded at (x, y) on this figure. */
function placePendingMarker(container, svg, x, y, number) {
  removePendingMarker(container);
  const radius = Number(svg.dataset.markerRadius);
  const marker = document.createElementNS(SVG_NS, "g");
  marker.setAttribute("class", "bm-marker bm-marker--pending");
  marker.setAttribute("transform", `translate(${x} ${y})`);
  const circle = document.createElementNS(SVG_NS, "circle");
  circle.setAttribute("r", String(radius));
  const label = document.createElementNS(SVG_NS, "text");
  label.setAttribute("y", "0");
  label.setAttribute("font-size", String(Math.round(radius * 12.5) / 10));
  label.textContent = number;
  marker.append(circle, label);
  svg.querySelector(".bm-markers").append(marker);
}

/** Show the tab of a view (GOV.UK tabs), so a region chosen from the list is visible on the figure. */
function showView(container, viewKey) {
  const tab = container.querySelector(`[data-view-tab="${viewKey}"]`);
  const panel = container.querySelector(`#view-${viewKey}`);
  if (tab && panel && panel.classList.contains("govuk-tabs__panel--hidden")) {
    tab.click();
  }
}

function setUp(container, form) {
  const select = form.querySelector("[data-bodymap-region]");
  const xInput = form.querySelector("[data-bodymap-x]");
  const yInput = form.querySelector("[data-bodymap-y]");
  const status = form.querySelector("[data-bodymap-status]");
  let number = Number(container.dataset.nextNumber) || 1;

  const say = (region) => {
    status.textContent = `Mark ${number}: ${region.dataset.label} (${region.closest("svg").dataset.view} view). Now describe the mark.`;
  };

  container.addEventListener("click", (event) => {
    const region = event.target.closest(".bm-figure--interactive .bm-region");
    if (!region) {
      return;
    }
    const svg = region.ownerSVGElement;
    const { x, y } = figurePoint(svg, event);
    xInput.value = String(x);
    yInput.value = String(y);
    select.value = region.dataset.region;
    placePendingMarker(container, svg, x, y, number);
    say(region);
    // On a phone the form is below the figure: bring it up once the marker has been seen.
    if (window.matchMedia("(max-width: 640px)").matches) {
      setTimeout(() => select.scrollIntoView({ behavior: "smooth", block: "start" }), 400);
    }
  });

  select.addEventListener("change", () => {
    xInput.value = "";
    yInput.value = "";
    const region = container.querySelector(`.bm-region[data-region="${CSS.escape(select.value)}"]`);
    if (!region) {
      removePendingMarker(container);
      status.textContent = "";
      return;
    }
    const svg = region.ownerSVGElement;
    showView(container, svg.dataset.view);
    placePendingMarker(container, svg, Number(region.dataset.x), Number(region.dataset.y), number);
    say(region);
  });

  // "Record another" after a mark saved on this tablet: its marker stays on the figure, and the
  // next mark takes the next number (the central record numbers them as they arrive).
  form.addEventListener("fieldvisit:record-another", () => {
    container.querySelectorAll(".bm-marker--pending").forEach((marker) => marker.classList.remove("bm-marker--pending"));
    number += 1;
    status.textContent = "";
    const heading = form.querySelector("[data-bodymap-heading]");
    const save = form.querySelector("[data-bodymap-save]");
    if (heading) heading.textContent = `Record mark ${number}`;
    if (save) save.textContent = `Save mark ${number}`;
  });

  // After an error the marker is already drawn by the server: show its view.
  const pending = container.querySelector(".bm-marker--pending");
  if (pending) {
    showView(container, pending.closest("svg").dataset.view);
  }
}

/** A "Print" button on the printable body map. */
function setUpPrint() {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
}

/**
 * Draw the figures a page left out (`data-figure-src`, templates/bodymap/_figure.html): the pages of
 * today's pack share one cached file of every figure's drawing instead of each carrying its own.
 * The drawing goes under the markers, so markers the server drew stay on top.
 */
async function drawFigures(root) {
  const figures = [...root.querySelectorAll("svg[data-figure-src]")];
  const files = new Map();
  for (const svg of figures) {
    const [file, id] = svg.dataset.figureSrc.split("#");
    if (!files.has(file)) {
      files.set(file, fetch(file, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`figures: ${response.status}`);
          return response.text();
        })
        .then((text) => new DOMParser().parseFromString(text, "image/svg+xml")));
    }
    const drawing = (await files.get(file)).getElementById(id);
    if (!drawing) continue;
    const markers = svg.querySelector(".bm-markers");
    for (const part of [...drawing.children]) svg.insertBefore(document.importNode(part, true), markers);
    svg.removeAttribute("data-figure-src");
  }
}

async function start() {
  const container = document.querySelector("[data-bodymap]");
  const form = document.querySelector("[data-bodymap-form]");
  if (container && form) {
    // Module scripts run in order, so govuk-init.js has already set up the tabs.
    setUp(container, form);
  }
  setUpPrint();
  if (container) {
    try {
      await drawFigures(container);
    } catch (error) {
      // Without the drawing the region list still records a mark (as with no JavaScript).
      console.warn("The body-map figure could not be drawn", error);
    }
  }
}

start();
