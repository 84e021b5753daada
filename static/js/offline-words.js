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
  signed_out: "waiting for you to sign in again",
  server_error: "the central record did not answer; trying again",
  busy: "the central record was busy; trying again",
  no_receipt: "sent, waiting for the central record's receipt",
  device_revoked: "not accepted: this tablet has been revoked",
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

/** The tablet's clock against the central record's, from the last receipt. */
export function clockSkew(skewMs) {
  if (skewMs == null) return "Not checked yet: it is checked at each sync";
  const off = Math.abs(skewMs);
  if (off < 60 * 1000) return "Matches the central record (within a minute)";
  return `${age(off)} ${skewMs > 0 ? "behind" : "ahead of"} the central record. Check the tablet's date and time settings.`;
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

  summary(view) {
    const waiting = view.items.filter((entry) => entry.status === "queued");
    const attention = view.items.length - waiting.length;
    const parts = [];
    if (waiting.length) {
      const oldest = Math.min(...waiting.map((entry) => entry.saved_at));
      parts.push(`${plural(waiting.length, "record")} waiting to be sent, oldest saved ${age(Date.now() - oldest)} ago`);
    } else if (!attention) {
      parts.push("All your records are sent");
    }
    if (attention) parts.push(`${plural(attention, "record")} ${attention === 1 ? "needs" : "need"} your attention`);
    parts.push(view.sync.last_success_at ? `last sync ${timeOfDay(view.sync.last_success_at)}` : "not synced yet");
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

  alerts(view, here) {
    const alerts = [];
    const attention = view.items.filter((entry) => entry.status !== "queued").length;
    if (view.fromCache && view.cachedAt) {
      alerts.push({ tone: "info", text: `No signal: this is the copy of this page kept on this tablet at ${timeOfDay(view.cachedAt)}.` });
    }
    if (view.sync.paused === "signed_out") {
      alerts.push({ tone: "warning", text: "You have been signed out, so your records cannot be sent.",
        href: `/sign-in?next=${encodeURIComponent(here)}`, linkText: "Sign in again to send them" });
    }
    if (attention) {
      alerts.push({ tone: "warning", text: `${plural(attention, "record")} ${attention === 1 ? "needs" : "need"} your attention.`,
        href: "/offline/records", linkText: "See what to do" });
    }
    if (!view.pinSet && !here.startsWith("/offline/pin")) {
      alerts.push({ tone: "info", text: "To use Fieldvisit with no signal, set a PIN first.",
        href: "/offline/pin", linkText: "Set a PIN" });
    }
    return alerts;
  },
};
