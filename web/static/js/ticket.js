// ticket.js keeps an applicant's live ticket page (/t/{code}) current. The
// page arrives rendered; this polls GET /api/v1/public/tickets/{code} every
// data-poll seconds (10 by default) with If-None-Match, so an unchanged
// ticket costs a 304 of a few hundred bytes, and backs off to two minutes
// while the link is down. Polling, not a socket: it survives flaky mobile
// links and proxies, keeps no connection open per phone, and a phone that
// sleeps simply asks again when it wakes (and at once when the page shows).
//
// When the ticket is called the page shows the window, big, vibrates and
// plays the chime. Phones keep sound off until a tap: the "turn on sound"
// button is that tap.

const body = document.body;
const code = body.dataset.code || "";
const every = (Number(body.dataset.poll) || 10) * 1000;
const strings = JSON.parse(body.dataset.strings || "{}")[document.documentElement.lang] || {};
const MAX_DELAY = 120000;

const $ = (id) => document.getElementById(id);
const last = {
  status: body.dataset.status,
  window: Number(body.dataset.window) || 0,
  recalls: Number(body.dataset.recalls) || 0,
  service: body.dataset.service,
};
let etag = "";
let delay = every;
let timer = null;
let busy = false;
let audio = null;

const hook = { polls: 0, notModified: 0, chimes: 0, vibrations: 0, sound: false, online: true };
hook.refresh = () => refresh();
Object.defineProperty(hook, "status", { get: () => last.status });
window.talonTicket = hook;

function t(key, params = {}) {
  let s = strings[key] || key;
  for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

const FINAL = ["done", "no_show", "cancelled", "closed"];

function render(v) {
  body.className = `status-${v.status}`;
  $("state-text").textContent = t(`ticket.status.${v.status}`, { window: v.window || "" });
  const atWindow = (v.status === "called" || v.status === "serving") && v.window;
  $("window").hidden = !atWindow;
  $("window-number").textContent = atWindow ? String(v.window) : "";
  let ahead = "";
  let wait = "";
  if (v.status === "waiting" && v.position > 0) {
    ahead = v.position === 1 ? t("ticket.next") : t("ticket.ahead", { n: v.position - 1 });
    if (v.estimated_wait_minutes > 0) wait = t("ticket.wait", { n: v.estimated_wait_minutes });
  }
  $("ahead").textContent = ahead;
  $("wait").textContent = wait;
  if (FINAL.includes(v.status)) $("sound").hidden = true;
}

function alertCall(v) {
  document.title = `${t("ticket.window")} ${v.window} · ${v.number}`;
  if (navigator.vibrate) {
    hook.vibrations++;
    try {
      navigator.vibrate([400, 200, 400, 200, 400]);
    } catch {
      // not allowed before a tap
    }
  }
  if (audio) {
    hook.chimes++;
    audio.currentTime = 0;
    audio.play().catch(() => {});
  }
}

function update(v) {
  if (v.service !== last.service) {
    location.reload(); // redirected to another service: the page renders its name
    return;
  }
  const called = v.status === "called" && (last.status !== "called" || v.window !== last.window || (v.recalls || 0) > last.recalls);
  render(v);
  if (called) alertCall(v);
  last.status = v.status;
  last.window = v.window || 0;
  last.recalls = v.recalls || 0;
}

function stamp(ok) {
  hook.online = ok;
  const now = new Date().toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "ru-RU", { hour: "2-digit", minute: "2-digit" });
  $("updated").textContent = ok ? t("ticket.updated", { time: now }) : t("ticket.offline");
}

async function refresh() {
  if (busy) return;
  busy = true;
  clearTimeout(timer);
  hook.polls++;
  try {
    const res = await fetch(`/api/v1/public/tickets/${encodeURIComponent(code)}`, {
      headers: etag ? { "If-None-Match": etag } : {},
      cache: "no-store",
      credentials: "omit",
    });
    if (res.status === 304) {
      hook.notModified++;
    } else if (res.ok) {
      etag = res.headers.get("ETag") || "";
      update(await res.json());
    } else if (res.status === 404) {
      location.reload();
      return;
    } else {
      throw new Error(`HTTP ${res.status}`);
    }
    delay = every;
    stamp(true);
  } catch {
    delay = Math.min(delay * 2, MAX_DELAY);
    stamp(false);
  } finally {
    busy = false;
  }
  if (!FINAL.includes(last.status)) timer = setTimeout(refresh, delay * (0.9 + Math.random() * 0.2));
}

function enableSound() {
  audio = new Audio(body.dataset.chime);
  audio.play().catch(() => {}); // the tap lets the page play sound from now on
  if (navigator.vibrate) {
    try {
      navigator.vibrate(100);
    } catch {
      // no vibration on this device
    }
  }
  hook.sound = true;
  $("sound").hidden = true;
}

$("sound").hidden = FINAL.includes(last.status);
$("sound").addEventListener("click", enableSound);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
stamp(true);
timer = setTimeout(refresh, delay);
