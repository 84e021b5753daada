// The words of the offline status: what waits on this tablet, in the practitioners' words.

export const KIND_NAMES = {
  visit: "Visit record",
  amendment: "Amendment to a visit record",
  bodymap: "Body map",
  bodymap_mark: "Body map mark",
  was_not_brought: "Was not brought",
  alcohol_audit: "Alcohol self-assessment",
};

const PROBLEMS = {
  offline: "There is no signal, or the central record cannot be reached.",
  slow: "The central record is slow to answer; it is tried again shortly.",
  signed_out: "You have been signed out: sign in again to send.",
  server_error: "The central record did not answer properly; it is tried again shortly.",
  busy: "Another sync is running.",
  error: "Something went wrong on this tablet; it is tried again shortly.",
  no_user: "No one is signed in on this tablet.",
  switched: "Someone else has signed in on this tablet.",
  device_revoked: "This tablet has been revoked by an administrator: what it kept readable is wiped, and records "
    + "waiting on it are not accepted from it. Use another device and tell your team lead.",
};

const ITEM_PROBLEMS = {
  offline: "waiting for signal",
  slow: "the central record is slow to answer; trying again",
  signed_out: "waiting for you to sign in again",
  server_error: "the central record did not answer; trying again",
  busy: "the central record was busy; trying again",
  no_receipt: "sent, waiting for the central record's receipt",
  device_revoked: "not accepted: this tablet has been revoked",
  revoked_kept: "this tablet has been revoked: the central record keeps it for your team lead to review",
};

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/** A short age: "less than a minute", "12 minutes", "3 hours", "2 days". */
export function age(ms) {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.floor(hours / 24), "day");
}

/** "10:05" today, otherwise "Mon 3 Mar, 10:05". */
export function timeOfDay(ms) {
  const when = new Date(ms);
  const time = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  if (when.toDateString() === new Date().toDateString()) return time;
  return `${when.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" })}, ${time}`;
}

// A tablet clock further off than this gets a warning (issue 14; the server's device_clock.NOTICEABLE_MS).
export const CLOCK_WARNING_MS = 5 * 60 * 1000;

/** A clock difference to the nearest minute, hour or day (a measured 2 days 23 hours 59 minutes is "3 days"). */
function roughly(ms) {
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.round(hours / 24), "day");
}

/** The warning for a tablet clock that is off, or null (issue 14, "A wrong tablet clock"). */
export function clockWarning(skewMs) {
  if (skewMs == null || Math.abs(skewMs) <= CLOCK_WARNING_MS) return null;
  return `This tablet's clock is ${roughly(Math.abs(skewMs))} ${skewMs > 0 ? "behind" : "ahead of"} the central record. `
    + "Your records are still accepted, with the difference noted, but times the tablet fills in may be wrong: "
    + "check the tablet's date and time settings.";
}

/** The tablet's clock against the central record's, from the last receipt. */
export function clockSkew(skewMs) {
  if (skewMs == null) return "Not checked yet: it is checked at each sync";
  const off = Math.abs(skewMs);
  if (off < 60 * 1000) return "Matches the central record (within a minute)";
  return `${roughly(off)} ${skewMs > 0 ? "behind" : "ahead of"} the central record. Check the tablet's date and time settings.`;
}

export const describe = {
  kind: (kind) => KIND_NAMES[kind] || String(kind || "Record").replace(/_/g, " "),

  problem: (state) => PROBLEMS[state] || PROBLEMS.error,

  itemStatus(entry) {
    if (entry.status === "rejected") return "not accepted: needs your attention";
    if (entry.status === "conflict") return "kept for review: needs your attention";
    if (!entry.attempts) return "waiting to be sent";
    return ITEM_PROBLEMS[entry.last_problem] || "waiting to be sent";
  },

  /** The one line of the status bar, from the tablet's state (never two statements that disagree). */
  summary(view) {
    const state = tabletState(view);
    const parts = [];
    if (state.attention) parts.push(`${plural(state.attention, "record")} ${state.attention === 1 ? "needs" : "need"} your attention`);
    if (state.waiting) {
      parts.push(`${plural(state.waiting, "record")} waiting to be sent, oldest saved ${age(Date.now() - state.oldestWaiting)} ago`);
    }
    if (!state.attention && !state.waiting) {
      if (state.syncing && !state.lastSync) return "Checking with the central record…";
      if (!state.lastSync) return "Nothing saved on this tablet yet";
      parts.push("All your records are sent");
    }
    if (state.syncing) parts.push("sending now");
    else if (state.lastSync) parts.push(`last sync ${timeOfDay(state.lastSync)}`);
    const text = parts.join(", ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  },

  facts(view) {
    const waiting = view.items.filter((entry) => entry.status === "queued");
    const oldest = waiting.length ? Math.min(...waiting.map((entry) => entry.saved_at)) : null;
    const facts = [
      ["Waiting to be sent", String(waiting.length)],
      ["Oldest waiting", oldest ? `Saved ${age(Date.now() - oldest)} ago` : "None"],
      ["Needs your attention", String(view.items.length - waiting.length)],
      ["Last successful sync", view.sync.last_success_at
        ? `${timeOfDay(view.sync.last_success_at)} (${age(Date.now() - view.sync.last_success_at)} ago)`
        : "Not yet on this tablet"],
    ];
    if (view.sync.last_problem) facts.push(["Last try", describe.problem(view.sync.last_problem)]);
    facts.push(["Tablet clock", clockSkew(view.sync.skew_ms)]);
    facts.push(["Storage", view.persisted === true
      ? "Persistent: the browser will not clear it to free space"
      : view.persisted === false
        ? "Not persistent: the browser may clear it if space runs low, so sync often"
        : "Unknown in this browser"]);
    facts.push(["Pages kept for no signal", view.pinSet
      ? `${plural(view.pages.length, "page")}${view.pack ? `, updated ${timeOfDay(view.pack.fetched_at)}` : ""}`
      : "None: set a PIN first"]);
    facts.push(["PIN", view.pinSet ? (view.unlocked ? "Set, unlocked" : "Set, locked") : "Not set"]);
    if (view.others) facts.push(["Other practitioners' records", `${view.others} kept, locked, for their authors to send`]);
    return facts;
  },

  /** What else the practitioner needs to know or do, from the same state as the summary. */
  alerts(view, here) {
    const state = tabletState(view);
    const alerts = [];
    if (view.storageLost) {
      const count = view.storageLost.waiting;
      alerts.push({ tone: "warning", name: "storage-lost", dismiss: "I have checked",
        text: "This tablet's storage was cleared (in the browser's settings, or by the browser to free space), so "
          + "records kept on it may have been lost"
          + (count ? `: ${plural(count, "record was", "records were")} waiting to be sent. ` : count === 0
            ? ": none was waiting to be sent. " : ". ")
          + "Check My records against what you recorded, and record again anything missing." });
    }
    if (state.fromCache && state.signal === "none") {
      alerts.push({ tone: "info", text: `No signal: this is the copy of this page kept on this tablet at ${timeOfDay(state.cachedAt)}.` });
    } else if (state.fromCache) {
      alerts.push({ tone: "info", text: `There is signal again: this is the copy of this page kept on this tablet at ${timeOfDay(state.cachedAt)}.`,
        href: here, linkText: "Show the latest" });
    } else if (state.signal === "none") {
      alerts.push({ tone: "info", text: "No signal: what you save is kept on this tablet and sent when there is." });
    } else if (state.signal === "slow") {
      alerts.push({ tone: "info", text: "The central record is slow to answer: what you save is kept on this tablet and sent again shortly." });
    }
    if (view.lock && view.lock.locked) {
      alerts.push({ tone: "warning", text: `What this tablet keeps is locked: it has not reached the central record for more `
        + `than ${plural(view.lock.hours, "hour")}. Records you saved on it are still sent.`,
        href: `/sign-in?next=${encodeURIComponent(here)}`, linkText: "Sign in with signal to open it again" });
    }
    if (state.signedOut) {
      alerts.push({ tone: "warning", text: "You have been signed out, so your records cannot be sent.",
        href: `/sign-in?next=${encodeURIComponent(here)}`, linkText: "Sign in again to send them" });
    }
    if (state.attention) {
      alerts.push({ tone: "warning", text: `${plural(state.attention, "record")} ${state.attention === 1 ? "needs" : "need"} your attention.`,
        href: "/offline/records", linkText: "See what to do" });
    }
    const clock = clockWarning((view.sync || {}).skew_ms);
    if (clock) alerts.push({ tone: "warning", text: clock });
    if (!state.offlineReady && !here.startsWith("/offline/pin")) {
      alerts.push({ tone: "info", text: "This tablet is not set up to work with no signal yet.",
        href: "/offline/pin", linkText: "Set it up (set a PIN)" });
    }
    if (!alerts.length && state.offlineReady) {
      const pages = view.pages ? view.pages.length : 0;
      const ready = pages
        ? `This tablet is ready to work with no signal: ${plural(pages, "page")} of your visits kept.`
        : "This tablet is ready to work with no signal.";
      if (view.persisted === false && view.persistAsked && here === "/today") {
        // The same one line (nothing moves): the browser refused persistent storage at PIN set-up.
        // No longer than the usual line, so that nothing moves when it is filled in.
        alerts.push({ tone: "info", name: "not-persistent", text: pages
          ? `${plural(pages, "page")} kept for no signal, but the browser may clear them: sync often.`
          : "Ready for no signal, but the browser may clear what it keeps: sync often." });
      } else {
        alerts.push({ tone: "quiet", text: ready });
      }
    }
    return alerts;
  },
};

/**
 * The tablet's state, the one source every statement of the status area is made from: signal,
 * last sync, records waiting, records needing attention (issue 12: a status that never
 * contradicts itself). `signal` is "yes" after a sync that reached the central record, "none"
 * after one that could not (or on a page opened from the tablet's copy), "slow" after one the
 * central record did not answer in time (issue 14), "unknown" before either.
 */
export function tabletState(view) {
  const sync = view.sync || {};
  const waitingItems = view.items.filter((entry) => entry.status === "queued");
  const contact = sync.last_contact_at || 0; // the central record last answered
  const failure = ["offline", "slow"].includes(sync.last_problem) ? sync.last_failure_at || 0 : 0;
  const cachedAt = view.fromCache ? view.cachedAt || 0 : 0;
  let signal = "unknown";
  if (failure > contact) signal = sync.last_problem === "slow" ? "slow" : "none";
  else if (contact) signal = "yes";
  // A page opened from the tablet's copy means the network failed, until the central record answers.
  if (view.fromCache && !(contact > (view.openedAt || 0))) signal = "none";
  return {
    signal,
    lastSync: sync.last_success_at || null,
    waiting: waitingItems.length,
    oldestWaiting: waitingItems.length ? Math.min(...waitingItems.map((entry) => entry.saved_at)) : null,
    attention: view.items.length - waitingItems.length,
    syncing: Boolean(view.syncing),
    signedOut: sync.paused === "signed_out",
    offlineReady: Boolean(view.pinSet),
    fromCache: Boolean(view.fromCache && view.cachedAt),
    cachedAt,
  };
}
