// board.js drives the hall board (/board): it follows the office over the
// realtime feed (/ws/offices/{office}, see web/ws.go), renders the latest
// calls, the waiting counts, the clock and the ticker, flashes and announces
// each call with voice.js, and reports its sound state to the server, where
// managers read it (GET /api/v1/offices/{office}/displays).
//
// The device token is given once in the URL fragment, /board#token=…, which
// browsers never send to the server; the page keeps it in localStorage and
// removes it from the address bar. The layout (columns, rows, language,
// ticker) is the office's, from its settings (queue.BoardSettings, carried by
// every view, so an admin's change reaches open boards at once); the query
// may override any of it for this screen: office, cols (1–4), rows (1–12),
// lang (ru, en or both), ticker.
//
// For tests and diagnostics the page exposes window.talonBoard: the last
// announcement (number, window, clips), every announcement since load, the
// connection state, the current view, the layout in force and how many calls
// still flash.

import { Announcer } from "./voice.js";
import { deviceToken as tokenFrom } from "./token.js";

const deviceToken = tokenFrom("talon.board.token");
const FLASH_MS = 10000;
const OFFLINE_GRACE_MS = 3000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const REFUSED_RETRY_MS = 60000;

const $ = (id) => document.getElementById(id);
const body = document.body;
const cfg = {
  office: body.dataset.office || "",
  assets: body.dataset.assets || "",
};
// What the address fixes for this screen (checked by the server); the rest
// follows the office.
const fixed = {
  cols: Number(body.dataset.cols) || 0,
  rows: Number(body.dataset.rows) || 0,
  lang: body.dataset.lang || "",
  ticker: body.dataset.ticker || "",
};
const DEFAULTS = { columns: 2, rows: 4, lang: "ru", ticker: "" };
const LANGS = ["ru", "en", "both"];
const allStrings = JSON.parse(body.dataset.strings || "{}");

// The layout in force; set by applyLayout.
const layout = { cols: 0, rows: 0, lang: "", ticker: "" };
let pageLang = "ru";
let strings = allStrings.ru || {};
let second = null; // the strings of the second language, when both are shown
let locale = "ru-RU";

/** t returns a page string with {name} placeholders filled. */
function t(key, params = {}, table = strings) {
  let s = table[key] || key;
  for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

// The state of the page.
const state = {
  view: null, // the last board.View
  seq: 0, // the last Seq received
  offset: 0, // server clock minus local clock, ms
  connected: false,
  flashing: new Map(), // ticket id → time the flash ends
  dropped: 0, // announcements not heard because sound was blocked
};

let socket = null; // the open feed, if any
let backoff = BACKOFF_MIN_MS;
let offlineTimer = null;

// The test and diagnostics hook.
const hook = {
  lastAnnouncement: null,
  refused: "", // the error code of the last refused connection
  announcements: [],
  get connected() {
    return state.connected;
  },
  get seq() {
    return state.seq;
  },
  get view() {
    return state.view;
  },
  get sound() {
    return voice.state();
  },
  get layout() {
    return { ...layout };
  },
  get flashing() {
    return state.flashing.size;
  },
};
window.talonBoard = hook;

// --- sound ------------------------------------------------------------------

const soundButton = $("sound");
const voice = new Announcer({
  onStateChange: () => {
    showSound();
    sendStatus();
  },
  onBlocked: (info) => {
    if (info.reason === "dropped") state.dropped++;
    showSound();
    sendStatus();
  },
});

function showSound() {
  const s = voice.state();
  soundButton.hidden = s === "on";
  soundButton.classList.toggle("blocked", s === "blocked");
  soundButton.textContent = s === "blocked" ? t("board.sound_blocked") : t("board.sound_enable");
}

soundButton.addEventListener("click", async () => {
  await voice.enable();
  showSound();
  sendStatus();
});

// --- rendering --------------------------------------------------------------

function windowLabel(n) {
  return String(n);
}

// --- the layout -------------------------------------------------------------

/** within returns n when it is an integer in [lo, hi], else 0. */
function within(n, lo, hi) {
  return Number.isInteger(n) && n >= lo && n <= hi ? n : 0;
}

/**
 * applyLayout brings the page to the layout the address and the office's
 * settings (board, from the view; null before the first one) ask for, and
 * touches only what changed.
 */
function applyLayout(board) {
  const b = board || {};
  const next = {
    cols: fixed.cols || within(b.columns, 1, 4) || DEFAULTS.columns,
    rows: fixed.rows || within(b.rows, 1, 12) || DEFAULTS.rows,
    lang: fixed.lang || (LANGS.includes(b.lang) ? b.lang : DEFAULTS.lang),
    ticker: fixed.ticker || (typeof b.ticker === "string" ? b.ticker : DEFAULTS.ticker),
  };
  const langChanged = next.lang !== layout.lang;
  const colsChanged = next.cols !== layout.cols;
  if (langChanged) {
    layout.lang = next.lang;
    pageLang = next.lang === "en" ? "en" : "ru";
    strings = allStrings[pageLang] || {};
    second = next.lang === "both" ? allStrings.en || null : null;
    locale = pageLang === "en" ? "en-GB" : "ru-RU";
    document.documentElement.lang = pageLang;
    if (strings["page.board.title"]) document.title = strings["page.board.title"];
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of document.querySelectorAll("[data-t-aria]")) el.setAttribute("aria-label", t(el.dataset.tAria));
    for (const el of document.querySelectorAll("[data-t2]:not(#calls-head > *)")) fillLabel(el, el.dataset.t2, "t2Break" in el.dataset);
    showSound();
  }
  if (next.rows !== layout.rows) {
    layout.rows = next.rows;
    document.documentElement.style.setProperty("--rows", String(next.rows));
  }
  if (colsChanged || langChanged) {
    layout.cols = next.cols;
    document.documentElement.style.setProperty("--cols", String(next.cols));
    const labels = [];
    for (let i = 0; i < next.cols; i++) {
      for (const key of ["board.ticket", "board.window"]) {
        const span = document.createElement("span");
        span.className = "label";
        span.dataset.t2 = key;
        fillLabel(span, key, false);
        labels.push(span);
      }
    }
    $("calls-head").replaceChildren(...labels);
  }
  layout.ticker = next.ticker;
}

/** fillLabel writes a string in the page's language, and in the second one beside it. */
function fillLabel(el, key, lineBreak) {
  const parts = [document.createTextNode(t(key))];
  if (second) {
    const span = document.createElement("span");
    span.className = "second";
    span.lang = "en";
    span.textContent = t(key, {}, second);
    parts.push(lineBreak ? document.createElement("br") : document.createTextNode(" "), span);
  }
  el.replaceChildren(...parts);
}

function render() {
  const v = state.view;
  if (!v) return;
  applyLayout(v.board);
  const name = officeName(v);
  if (name && $("office").textContent !== name) $("office").textContent = name;
  renderCalls(v);
  renderServices(v);
  renderTicker(v);
}

function renderCalls(v) {
  const list = $("calls");
  const now = Date.now();
  const calls = (v.calls || []).slice(0, layout.cols * layout.rows);
  const items = calls.map((c) => {
    const li = document.createElement("li");
    li.className = "call";
    li.dataset.ticket = c.ticket;
    const until = state.flashing.get(c.ticket);
    if (until && until > now) li.classList.add("flash");
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = c.number;
    const arrow = document.createElement("span");
    arrow.className = "sr-only";
    arrow.textContent = `, ${t("board.window")} `;
    const win = document.createElement("span");
    win.className = "win";
    win.textContent = windowLabel(c.window);
    li.append(num, arrow, win);
    return li;
  });
  // Keep the rows that did not change, so a flash is not restarted.
  const old = Array.from(list.children);
  const same =
    old.length === items.length &&
    old.every((li, i) => li.dataset.ticket === items[i].dataset.ticket && li.textContent === items[i].textContent && li.className === items[i].className);
  if (!same) list.replaceChildren(...items);
  $("no-calls").hidden = calls.length > 0;
}

function serviceName(s) {
  const n = s.name || {};
  return (pageLang === "en" && n.en ? n.en : n.ru) || s.service;
}

function renderServices(v) {
  const items = (v.services || []).map((s) => {
    const li = document.createElement("li");
    li.className = "service";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = serviceName(s);
    if (second && s.name && s.name.en) {
      const en = document.createElement("span");
      en.className = "second";
      en.lang = "en";
      en.textContent = ` ${s.name.en}`;
      name.append(en);
    }
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = String(s.waiting);
    li.append(name, count);
    return li;
  });
  $("services").replaceChildren(...items);
  $("total").textContent = String(v.waiting || 0);
}

function renderTicker(v) {
  const text = layout.ticker || [officeName(v), v.address].filter(Boolean).join(" · ");
  const el = $("ticker");
  if (el.textContent !== text) el.textContent = text;
}

function officeName(v) {
  const n = v.name || {};
  return (pageLang === "en" && n.en ? n.en : n.ru) || "";
}

// --- the clock --------------------------------------------------------------

function tick() {
  const now = new Date(Date.now() + state.offset);
  const tz = state.view && state.view.time_zone ? state.view.time_zone : undefined;
  try {
    $("clock").textContent = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: tz }).format(now);
    $("date").textContent = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", timeZone: tz }).format(now);
  } catch {
    $("clock").textContent = now.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  }
  setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

// --- calls ------------------------------------------------------------------

/** announce flashes a call, says it and tells screen readers. */
function announce(a, seq) {
  let clips = a.clips.ru;
  if (layout.lang === "en") clips = a.clips.en;
  if (layout.lang === "both") clips = [...a.clips.ru, ...a.clips.en.slice(1)];
  const entry = { seq, ticket: a.ticket, number: a.number, window: a.window, recall: !!a.recall, clips };
  hook.lastAnnouncement = entry;
  hook.announcements.push(entry);
  if (hook.announcements.length > 100) hook.announcements.shift();
  state.flashing.set(a.ticket, Date.now() + FLASH_MS);
  setTimeout(() => {
    const until = state.flashing.get(a.ticket);
    if (until && until <= Date.now()) {
      state.flashing.delete(a.ticket);
      const li = document.querySelector(`.call[data-ticket="${CSS.escape(a.ticket)}"]`);
      if (li) li.classList.remove("flash");
    }
  }, FLASH_MS + 50);
  let said = t("board.announce", { number: a.number, window: a.window });
  if (second) said += `. ${t("board.announce", { number: a.number, window: a.window }, second)}`;
  $("live").textContent = said;
  voice.announce(clips);
}

// --- the feed ---------------------------------------------------------------

function setProblem(text) {
  const p = $("problem");
  p.textContent = text || "";
  p.hidden = !text;
}

function online() {
  state.connected = true;
  backoff = BACKOFF_MIN_MS;
  clearTimeout(offlineTimer);
  offlineTimer = null;
  $("offline").hidden = true;
  setProblem("");
}

function offline() {
  state.connected = false;
  if (!offlineTimer) {
    offlineTimer = setTimeout(() => {
      $("offline").hidden = false;
    }, OFFLINE_GRACE_MS);
  }
}

function sendStatus() {
  if (socket && socket.readyState === WebSocket.OPEN && state.connected) {
    socket.send(JSON.stringify({ type: "status", page: "board", sound: voice.state(), dropped: state.dropped }));
  }
}

function handle(msg) {
  switch (msg.type) {
    case "snapshot":
      if (msg.assets && cfg.assets && msg.assets !== cfg.assets) {
        // The server runs a new build: load its page and files.
        setTimeout(() => location.reload(), 500);
      }
    // fall through: a snapshot carries a view
    case "view":
      state.view = msg.view;
      state.seq = msg.seq;
      if (msg.now) state.offset = Date.parse(msg.now) - Date.now();
      if (!state.connected) {
        online();
        sendStatus();
      }
      render();
      break;
    case "event":
      state.seq = msg.seq;
      if (msg.announce) announce(msg.announce, msg.seq);
      break;
    case "error":
      hook.refused = msg.error ? msg.error.code : "";
      break;
  }
}

function feedURL(office) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/offices/${encodeURIComponent(office)}`;
}

function connect(office) {
  hook.refused = "";
  const ws = new WebSocket(feedURL(office));
  socket = ws;
  ws.onopen = () => {
    const hello = { since: state.view ? state.seq : 0 };
    const token = deviceToken();
    if (token) hello.token = token;
    ws.send(JSON.stringify(hello));
  };
  ws.onmessage = (m) => {
    try {
      handle(JSON.parse(m.data));
    } catch (err) {
      console.warn("board: bad message", err);
    }
  };
  ws.onclose = (ev) => {
    if (socket === ws) socket = null;
    offline();
    let wait = backoff;
    if (ev.code >= 4400 && ev.code < 4500) {
      setProblem(ev.code === 4401 ? t("board.no_token") : ev.code === 4404 ? t("board.no_office") : t("board.denied"));
      wait = REFUSED_RETRY_MS;
    } else {
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
    wait = wait * (0.8 + Math.random() * 0.4);
    setTimeout(() => connect(office), wait);
  };
}

/** findOffice returns the office from the query, or the device's own. */
async function findOffice() {
  if (cfg.office) return cfg.office;
  const token = deviceToken();
  for (;;) {
    try {
      const res = await fetch("/api/v1/me", { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: "same-origin" });
      if (res.ok) {
        const me = await res.json();
        if (me.office) return me.office;
        setProblem(t("board.no_office"));
      } else {
        console.warn(`board: ${res.url}: HTTP ${res.status}`);
        setProblem(res.status === 401 ? t("board.no_token") : t("board.denied"));
      }
    } catch {
      offline();
    }
    await new Promise((r) => setTimeout(r, REFUSED_RETRY_MS / 4));
  }
}

async function main() {
    applyLayout(null);
  if (layout.ticker) $("ticker").textContent = layout.ticker;
  showSound();
  tick();
  const office = await findOffice();
  connect(office);
}

main();
