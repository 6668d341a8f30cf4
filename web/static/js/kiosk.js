// kiosk.js drives the ticket kiosk (/kiosk): the visitor picks a service
// from the office's tree (or searches), a visit purpose where the service
// takes several, a priority category; or checks in a pre-booked visit by
// its code, typed on the pad or read by a barcode scanner. The kiosk then
// shows the number, the people ahead and the estimated wait, and prints the
// ticket on its printer (POST /api/v1/tickets/{id}/print). When printing
// fails it shows the ticket's QR code to scan with a phone, and offers the
// browser's print of the ticket as the last resort.
//
// Closed hours, a used-up daily limit, a lost server: each has its own
// screen, and every screen but the first returns to the start after the idle
// time (?idle=45 seconds). Russian and English; a large-text high-contrast
// mode and a low-reach layout for wheelchair users; the next visitor starts
// with the defaults again.
//
// The device token is given once in the URL fragment, /kiosk#token=…, and
// kept in localStorage. A scanner is a keyboard: it types the code's digits
// and Enter within a few milliseconds. Keys are read by their physical code
// (event.code), so the Russian layout, which turns a scanned "A042" into
// "Ф042", changes nothing: only digits matter.
//
// For tests and diagnostics the page exposes window.talonKiosk.

import { deviceToken as tokenFrom } from "./token.js";

const deviceToken = tokenFrom("talon.kiosk.token");
const SCAN_GAP_MS = 100; // keys closer than this come from a scanner
const SCAN_MIN_DIGITS = 6;
const PROBE_MS = 3000; // how often the offline screen checks the server
const CATALOG_MS = 5 * 60 * 1000;
const REQUEST_MS = 20000;
const PRINT_MS = 70000;
const LANGS = ["ru", "en"];

const $ = (id) => document.getElementById(id);
const body = document.body;
const cfg = {
  office: body.dataset.office || "",
  idle: Math.max(3, Number(body.dataset.idle) || 45) * 1000,
};
const strings = JSON.parse(body.dataset.strings || "{}");

const state = {
  lang: LANGS[0],
  screen: "start",
  office: "",
  catalog: null, // the office configuration: {office, services, windows, categories}
  path: [], // the groups opened in the service tree
  choice: {}, // {service, purpose, category} of the ticket being issued
  ticket: null, // the ticket shown
  codes: null, // its QR code and barcode, when fetched
  printing: false,
  idleAt: 0, // when the screen returns to the start
  offset: 0, // server clock minus local clock, ms
};

const hook = {
  get screen() {
    return state.screen;
  },
  get lang() {
    return state.lang;
  },
  get ticket() {
    return state.ticket;
  },
  print: null, // the last print outcome: {printed, code}
  problem: null, // the last problem shown: {code, message, params}
  resets: 0,
};
window.talonKiosk = hook;

// --- strings ------------------------------------------------------------------

/** t returns a page string in the current language with {name} filled. */
function t(key, params = {}) {
  const table = strings[state.lang] || {};
  let s = table[key] || (strings[LANGS[0]] || {})[key] || key;
  for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

function nameOf(text, fallback = "") {
  if (!text) return fallback;
  return (state.lang === "en" && text.en ? text.en : text.ru) || fallback;
}

function applyStrings() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t(el.dataset.tLabel));
  const other = state.lang === "ru" ? "en" : "ru";
  const lang = $("lang");
  lang.lang = other;
  lang.textContent = other === "en" ? "English" : "Русский";
  $("office").textContent = nameOf(state.catalog && state.catalog.office.name, t("kiosk.title"));
  document.title = $("office").textContent;
}

// --- the server -----------------------------------------------------------------

/** ApiError is an error answer of the server: {code, message, params}. */
class ApiError extends Error {
  constructor(status, detail) {
    super(detail.message || detail.code);
    this.status = status;
    this.code = detail.code || "internal_error";
    this.params = detail.params || {};
  }
}

/** Offline is thrown when the server cannot be reached. */
class Offline extends Error {}

function requestKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function api(method, path, body, opts = {}) {
  const headers = { "Accept-Language": state.lang };
  const token = deviceToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.key) headers["Idempotency-Key"] = opts.key;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeout || REQUEST_MS);
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      signal: abort.signal,
    });
  } catch {
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // no JSON: a proxy's page, or nothing
  }
  if (res.ok) return data;
  const detail = (data && data.error) || {};
  if (res.status === 502 || res.status === 504 || (res.status === 503 && detail.code === "unavailable") || !detail.code) {
    throw new Offline();
  }
  throw new ApiError(res.status, detail);
}

// --- screens --------------------------------------------------------------------

const SCREENS = ["start", "services", "purpose", "category", "checkin", "wait", "ticket", "problem", "offline"];

function show(name) {
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  state.screen = name;
  const title = document.querySelector(`#screen-${name} .title`);
  if (title && name !== "start") title.focus({ preventScroll: true });
  touch();
}

// --- idle reset -------------------------------------------------------------------

let idleTimer = null;

/** touch notes activity: the screen stays for another idle period. */
function touch() {
  clearTimeout(idleTimer);
  idleTimer = null;
  state.idleAt = 0;
  if (state.screen === "start" || state.screen === "wait" || state.screen === "offline") return;
  state.idleAt = Date.now() + cfg.idle;
  idleTimer = setTimeout(reset, cfg.idle);
}

/** reset returns to the start with the defaults, for the next visitor. */
function reset() {
  clearTimeout(idleTimer);
  idleTimer = null;
  hook.resets++;
  state.choice = {};
  state.path = [];
  state.ticket = null;
  state.codes = null;
  $("search").value = "";
  $("code").value = "";
  setLang(LANGS[0]);
  setMode("a11y", false);
  setMode("low", false);
  show("start");
  refreshCatalog();
}

function countdown() {
  const left = state.idleAt ? Math.max(0, Math.ceil((state.idleAt - Date.now()) / 1000)) : 0;
  const text = left > 0 && left <= 15 ? t("kiosk.closing", { n: left }) : "";
  for (const id of ["ticket-closing", "problem-closing"]) {
    if ($(id).textContent !== text) $(id).textContent = text;
  }
}

// --- settings: language, accessible mode, low reach ---------------------------------

function setLang(lang) {
  state.lang = lang;
  applyStrings();
  rerender();
}

function setMode(mode, on) {
  body.classList.toggle(mode, on);
  $(mode).setAttribute("aria-pressed", String(on));
}

function rerender() {
  if (!state.catalog) return;
  switch (state.screen) {
    case "services":
      renderServices();
      break;
    case "purpose":
      renderPurposes();
      break;
    case "category":
      renderCategories();
      break;
    case "ticket":
      renderTicket();
      break;
  }
}

// --- the catalogue ----------------------------------------------------------------

async function findOffice() {
  if (cfg.office) return cfg.office;
  const me = await api("GET", "/api/v1/me");
  if (!me || !me.office) throw new ApiError(403, { code: "office_forbidden", message: "" });
  return me.office;
}

async function loadCatalog() {
  if (!state.office) state.office = await findOffice();
  state.catalog = await api("GET", `/api/v1/offices/${encodeURIComponent(state.office)}`);
  applyStrings();
  try {
    const h = await api("GET", "/healthz");
    state.offset = Date.parse(h.time) - Date.now(); // the clock shows the server's time
  } catch {
    // keep the last offset
  }
}

async function refreshCatalog() {
  try {
    await loadCatalog();
  } catch (err) {
    failed(err);
  }
}

function services() {
  return (state.catalog && state.catalog.services) || [];
}

function byOrder(a, b) {
  return (a.order || 0) - (b.order || 0) || nameOf(a.name, a.id).localeCompare(nameOf(b.name, b.id), state.lang);
}

/** hasLeaf reports whether group id holds an active service to issue for. */
function hasLeaf(id, seen = new Set()) {
  if (seen.has(id)) return false;
  seen.add(id);
  return services().some((s) => s.active && s.parent === id && (!s.group || hasLeaf(s.id, seen)));
}

function children(parent) {
  return services()
    .filter((s) => s.active && (s.parent || "") === parent && (!s.group || hasLeaf(s.id)))
    .sort(byOrder);
}

function matches(query) {
  const q = query.trim().toLocaleLowerCase();
  return services()
    .filter((s) => s.active && !s.group)
    .filter((s) =>
      [s.name && s.name.ru, s.name && s.name.en, s.code, s.prefix].some((x) => x && x.toLocaleLowerCase().includes(q)),
    )
    .sort(byOrder);
}

function button(label, sub, onClick, cls = "") {
  const li = document.createElement("li");
  const b = document.createElement("button");
  b.type = "button";
  if (cls) b.className = cls;
  const text = document.createElement("span");
  text.textContent = label;
  if (sub) {
    const s = document.createElement("span");
    s.className = "sub";
    s.textContent = sub;
    text.append(s);
  }
  b.append(text);
  b.addEventListener("click", onClick);
  li.append(b);
  return { li, button: b, text };
}

function renderServices() {
  const query = $("search").value;
  const list = query.trim() ? matches(query) : children(state.path.length ? state.path[state.path.length - 1] : "");
  const items = list.map((s) => {
    if (s.group) {
      const it = button(nameOf(s.name, s.id), "", () => openGroup(s.id), "group");
      const more = document.createElement("span");
      more.className = "more";
      more.setAttribute("aria-hidden", "true");
      more.textContent = "›";
      it.button.append(more);
      return it.li;
    }
    return button(nameOf(s.name, s.id), "", () => chooseService(s)).li;
  });
  $("services").replaceChildren(...items);
  $("no-services").hidden = items.length > 0;
  const crumbs = [];
  if (!query.trim() && state.path.length) {
    const top = document.createElement("li");
    const all = document.createElement("button");
    all.type = "button";
    all.textContent = t("kiosk.services.all");
    all.addEventListener("click", () => {
      state.path = [];
      renderServices();
    });
    top.append(all);
    crumbs.push(top);
    state.path.forEach((id, i) => {
      const li = document.createElement("li");
      const g = services().find((s) => s.id === id);
      li.textContent = nameOf(g && g.name, id);
      if (i === state.path.length - 1) li.setAttribute("aria-current", "location");
      crumbs.push(li);
    });
  }
  $("crumbs").replaceChildren(...crumbs);
}

function openGroup(id) {
  state.path.push(id);
  renderServices();
  $("services-title").focus({ preventScroll: true });
}

// --- choosing ---------------------------------------------------------------------

function chooseService(s) {
  state.choice = { service: s };
  if (s.purposes && s.purposes.length > 1) {
    renderPurposes();
    show("purpose");
    return;
  }
  askCategory();
}

function renderPurposes() {
  const s = state.choice.service;
  if (!s) return;
  $("purpose-service").textContent = nameOf(s.name, s.id);
  const items = s.purposes.map((p) =>
    button(t(`kiosk.purpose.${p}`), "", () => {
      state.choice.purpose = p;
      askCategory();
    }).li,
  );
  $("purposes").replaceChildren(...items);
}

function activeCategories() {
  return ((state.catalog && state.catalog.categories) || []).filter((k) => k.active).sort((a, b) => a.level - b.level);
}

function askCategory() {
  if (activeCategories().length === 0) {
    issue();
    return;
  }
  renderCategories();
  show("category");
}

function renderCategories() {
  const none = button(t("kiosk.category.none"), "", () => {
    state.choice.category = null;
    issue();
  }, "primary");
  const items = activeCategories().map((k) => {
    const doc = nameOf(k.document);
    return button(nameOf(k.name, k.id), doc ? t("kiosk.category.document", { document: doc }) : "", () => {
      state.choice.category = k;
      issue();
    }).li;
  });
  $("categories").replaceChildren(none.li, ...items);
}

// --- issuing and check-in ------------------------------------------------------------

async function issue() {
  const c = state.choice;
  const req = { service: c.service.id };
  if (c.purpose) req.purpose = c.purpose;
  if (c.category) req.category = c.category.id;
  show("wait");
  try {
    const v = await api("POST", `/api/v1/offices/${encodeURIComponent(state.office)}/tickets`, req, { key: requestKey() });
    got(v);
  } catch (err) {
    failed(err);
  }
}

async function checkIn(code) {
  const digits = String(code).replace(/\D/g, "");
  if (!digits || state.screen === "wait") return;
  $("code").value = "";
  state.choice = {};
  show("wait");
  try {
    const v = await api("POST", `/api/v1/offices/${encodeURIComponent(state.office)}/check-in`, { code: digits }, { key: requestKey() });
    got(v);
  } catch (err) {
    failed(err, "booking");
  }
}

/** got shows an issued ticket and prints it. */
function got(v) {
  state.ticket = v;
  state.codes = null;
  hook.print = null;
  renderTicket();
  show("ticket");
  $("live").textContent = `${t("kiosk.ticket.title")}: ${v.number}`;
  print();
}

function serviceOf(v) {
  return services().find((s) => s.id === v.service);
}

function categoryOf(v) {
  return ((state.catalog && state.catalog.categories) || []).find((k) => k.id === v.category);
}

function aheadText(v) {
  const n = Math.max(0, (v.position || 1) - 1);
  return n === 0 ? t("kiosk.ticket.nobody") : t("kiosk.ticket.people", { n });
}

function waitText(v) {
  const m = v.estimated_wait_minutes || 0;
  return m > 0 ? t("kiosk.ticket.minutes", { n: m }) : t("kiosk.ticket.soon");
}

function renderTicket() {
  const v = state.ticket;
  if (!v) return;
  const s = serviceOf(v);
  $("ticket-number").textContent = v.number;
  $("ticket-service").textContent = nameOf(s && s.name, v.service);
  $("ticket-ahead").textContent = aheadText(v);
  $("ticket-wait").textContent = waitText(v);
  const k = categoryOf(v);
  const doc = k && nameOf(k.document);
  $("ticket-category").hidden = !doc;
  $("ticket-category").textContent = doc ? t("kiosk.ticket.category", { document: doc }) : "";
  renderPrint();
}

// --- printing ---------------------------------------------------------------------------

async function print() {
  const v = state.ticket;
  if (!v || state.printing) return;
  state.printing = true;
  hook.print = null;
  renderPrint();
  let outcome;
  try {
    await api("POST", `/api/v1/tickets/${encodeURIComponent(v.id)}/print`, undefined, { timeout: PRINT_MS });
    outcome = { printed: true, code: "" };
  } catch (err) {
    if (err instanceof ApiError && err.code === "ticket_printed") outcome = { printed: true, code: "" };
    else if (err instanceof ApiError) outcome = { printed: false, code: err.code, message: err.message };
    else outcome = { printed: false, code: "offline", message: t("kiosk.offline.title") };
  }
  state.printing = false;
  if (state.ticket !== v) return; // the visitor has left
  hook.print = outcome;
  renderPrint();
  if (!outcome.printed) await showCodes(v);
  touch();
}

function renderPrint() {
  const el = $("print-state");
  const out = hook.print;
  el.className = "print-state";
  $("screen-ticket").classList.toggle("failed", !!out && !out.printed);
  if (state.printing || !out) {
    el.textContent = t("kiosk.print.printing");
    $("print-fallback").hidden = true;
    return;
  }
  if (out.printed) {
    el.textContent = t("kiosk.print.ok");
    el.classList.add("ok");
    $("print-fallback").hidden = true;
    return;
  }
  el.classList.add("bad");
  el.textContent = out.code === "printer_not_configured" ? t("kiosk.print.no_printer") : `${t("kiosk.print.failed")}. ${out.message || ""}`.trim();
  $("print-fallback").hidden = false;
  const codes = state.codes;
  $("ticket-qr").hidden = !codes;
  $("qr-hint").hidden = !codes;
  if (codes) {
    $("ticket-qr").alt = t("kiosk.print.qr_alt", { number: state.ticket.number });
    $("qr-hint").textContent = t("kiosk.print.qr");
  } else {
    $("qr-hint").hidden = false;
    $("qr-hint").textContent = t("kiosk.print.remember");
  }
  $("print-retry").hidden = out.code === "printer_not_configured" || out.code === "offline";
  $("print-browser").hidden = !codes;
}

/** showCodes fetches the ticket's QR code for the screen and the paper. */
async function showCodes(v) {
  try {
    const codes = await api("GET", `/api/v1/tickets/${encodeURIComponent(v.id)}/qr`);
    if (state.ticket !== v) return;
    state.codes = codes;
    $("ticket-qr").src = codes.qr;
    $("paper-qr").src = codes.qr;
    $("paper-barcode").src = codes.barcode;
  } catch {
    state.codes = null;
  }
  renderPrint();
}

/** browserPrint prints the ticket with the browser (a kiosk browser started
 * with --kiosk-printing prints to its default printer without a dialog). */
function browserPrint() {
  const v = state.ticket;
  if (!v) return;
  const s = serviceOf(v);
  const tz = state.catalog && state.catalog.office.time_zone;
  let issued = "";
  try {
    issued = new Intl.DateTimeFormat(state.lang === "en" ? "en-GB" : "ru-RU", {
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: tz,
    }).format(new Date(v.issued_at));
  } catch {
    issued = new Date(v.issued_at).toLocaleString();
  }
  $("paper-office").textContent = nameOf(state.catalog && state.catalog.office.name);
  $("paper-number").textContent = v.number;
  $("paper-service").textContent = nameOf(s && s.name, v.service);
  $("paper-issued").textContent = t("kiosk.paper.issued", { time: issued });
  $("paper-ahead").textContent = `${t("kiosk.ticket.ahead")}: ${aheadText(v)}`;
  hook.browserPrinted = (hook.browserPrinted || 0) + 1;
  window.print();
}

// --- problems ---------------------------------------------------------------------------

const PROBLEM_TITLES = {
  office_closed: "kiosk.problem.office_closed",
  service_closed: "kiosk.problem.service_closed",
  service_on_break: "kiosk.problem.service_on_break",
  daily_limit_reached: "kiosk.problem.daily_limit_reached",
  day_closed: "kiosk.problem.day_closed",
  office_inactive: "kiosk.problem.unavailable",
  service_inactive: "kiosk.problem.unavailable",
  service_not_served: "kiosk.problem.unavailable",
  purpose_not_served: "kiosk.problem.unavailable",
  auth_required: "kiosk.problem.setup",
  session_expired: "kiosk.problem.setup",
  forbidden: "kiosk.problem.setup",
  office_forbidden: "kiosk.problem.setup",
  office_not_found: "kiosk.problem.setup",
};

/** failed shows what went wrong: the offline screen, or a problem screen. */
function failed(err, context = "") {
  if (err instanceof Offline) {
    offline();
    return;
  }
  const code = err.code || "internal_error";
  let title = PROBLEM_TITLES[code] || (context === "booking" ? "kiosk.problem.booking" : "kiosk.problem.other");
  let text = err.message || "";
  let more = "";
  if (title === "kiosk.problem.setup") text = t("kiosk.problem.setup_text");
  if (err.params && err.params.opens) more = t("kiosk.opens", { opens: err.params.opens });
  if (err.params && err.params.until) more = t("kiosk.until", { until: err.params.until });
  hook.problem = { code, message: err.message || "", params: err.params || {} };
  $("problem-title").textContent = t(title);
  $("problem-text").textContent = text;
  $("problem-more").textContent = more;
  $("problem-more").hidden = !more;
  show("problem");
}

let probing = false;

/** offline shows that the server cannot be reached and waits for it. */
async function offline() {
  show("offline");
  if (probing) return;
  probing = true;
  for (;;) {
    await new Promise((r) => setTimeout(r, PROBE_MS));
    try {
      const res = await fetch("/healthz", { cache: "no-store" });
      if (res.ok) {
        await loadCatalog();
        break;
      }
    } catch {
      // still down
    }
  }
  probing = false;
  reset();
}

// --- the barcode scanner ------------------------------------------------------------------

const scan = { digits: "", last: 0, field: null, before: "" };

function digitOf(e) {
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code || "");
  if (m) return m[1];
  if (!e.code && /^[0-9]$/.test(e.key)) return e.key;
  return null;
}

function onKey(e) {
  touch();
  const now = performance.now();
  if (now - scan.last > SCAN_GAP_MS) {
    scan.digits = "";
    scan.field = e.target instanceof HTMLInputElement ? e.target : null;
    scan.before = scan.field ? scan.field.value : "";
  }
  scan.last = now;
  const d = digitOf(e);
  if (d !== null) {
    scan.digits += d;
    return;
  }
  if (e.code === "Enter" || e.code === "NumpadEnter" || e.key === "Enter") {
    const digits = scan.digits;
    scan.digits = "";
    if (e.target === $("code")) {
      e.preventDefault();
      checkIn($("code").value);
      return;
    }
    if (digits.length >= SCAN_MIN_DIGITS && state.catalog && state.screen !== "wait" && state.screen !== "offline") {
      e.preventDefault();
      if (scan.field) scan.field.value = scan.before; // what the scanner typed into a field is not the visitor's
      checkIn(digits);
    }
  }
}

// --- wiring --------------------------------------------------------------------------------

function wire() {
  document.addEventListener("keydown", onKey, true);
  for (const ev of ["pointerdown", "input", "wheel", "touchstart"]) document.addEventListener(ev, touch, { capture: true, passive: true });
  $("go-ticket").addEventListener("click", () => {
    state.path = [];
    $("search").value = "";
    renderServices();
    show("services");
  });
  $("go-checkin").addEventListener("click", () => {
    $("code").value = "";
    show("checkin");
    $("code").focus({ preventScroll: true });
  });
  $("search").addEventListener("input", renderServices);
  $("services-back").addEventListener("click", () => {
    if ($("search").value.trim()) {
      $("search").value = "";
      renderServices();
    } else if (state.path.length) {
      state.path.pop();
      renderServices();
    } else {
      show("start");
    }
  });
  $("purpose-back").addEventListener("click", () => {
    renderServices();
    show("services");
  });
  $("category-back").addEventListener("click", () => {
    const s = state.choice.service;
    if (s && s.purposes && s.purposes.length > 1) show("purpose");
    else {
      renderServices();
      show("services");
    }
  });
  $("checkin-back").addEventListener("click", () => show("start"));
  $("code").addEventListener("input", () => {
    const el = $("code");
    const digits = el.value.replace(/\D/g, "");
    if (digits !== el.value) el.value = digits;
  });
  for (const b of document.querySelectorAll("#keypad [data-digit]")) {
    b.addEventListener("click", () => {
      const el = $("code");
      if (el.value.length < 20) el.value += b.dataset.digit;
    });
  }
  $("code-erase").addEventListener("click", () => {
    const el = $("code");
    el.value = el.value.slice(0, -1);
  });
  $("code-ok").addEventListener("click", () => checkIn($("code").value));
  $("ticket-done").addEventListener("click", reset);
  $("problem-back").addEventListener("click", reset);
  $("print-retry").addEventListener("click", print);
  $("print-browser").addEventListener("click", browserPrint);
  $("lang").addEventListener("click", () => setLang(state.lang === "ru" ? "en" : "ru"));
  $("a11y").addEventListener("click", () => setMode("a11y", !body.classList.contains("a11y")));
  $("low").addEventListener("click", () => setMode("low", !body.classList.contains("low")));
}

function tick() {
  const tz = state.catalog && state.catalog.office.time_zone;
  const now = new Date(Date.now() + state.offset);
  try {
    $("clock").textContent = new Intl.DateTimeFormat("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: tz }).format(now);
  } catch {
    $("clock").textContent = now.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
  }
  countdown();
  setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

async function main() {
    wire();
  applyStrings();
  tick();
  if (!deviceToken()) {
    failed(new ApiError(401, { code: "auth_required", message: "" }));
    return;
  }
  try {
    await loadCatalog();
    show("start");
  } catch (err) {
    failed(err);
  }
  setInterval(() => {
    if (state.screen === "start") refreshCatalog();
  }, CATALOG_MS);
}

main();
