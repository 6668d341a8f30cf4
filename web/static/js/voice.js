// voice.js plays voice announcements on the hall board: lists of clip names
// from board.Announcement (["chime", "ru/talon", "ru/letter_a", "ru/100", …])
// played back to back through the Web Audio API. Clips are fetched and
// decoded once and cached. Announcements wait in one FIFO queue, so two calls
// never talk over each other.
//
// Browsers only let a page make sound after a user gesture (unless the kiosk
// browser runs with --autoplay-policy=no-user-gesture-required). Call
// enable() from a click or tap; the choice is remembered in localStorage, and
// on the next load the announcer tries to start by itself. When sound is
// wanted but the browser blocks it, state() is "blocked" and onBlocked is
// called, so the page can ask for one more tap.
//
//   import { Announcer } from "/static/js/voice.js";
//   const voice = new Announcer({ onBlocked: () => banner.hidden = false });
//   button.onclick = () => voice.enable();
//   voice.announce(event.clips);

const STORAGE_KEY = "talon.voice";
const START_TIMEOUT_MS = 300; // how long resume() may take before we call it blocked

/** Announcer queues announcements and plays them one after another. */
export class Announcer {
  /**
   * @param {object} [opts]
   * @param {(name: string) => string} [opts.url] clip name → URL; by default
   *   ../voice/NAME.opus next to this module (web/static/voice).
   * @param {(info: {reason: string, clips?: string[]}) => void} [opts.onBlocked]
   *   called when sound is on but the browser does not let it play: when that
   *   is found at start or by a state change (reason "suspended"), and for
   *   each announcement dropped because of it (reason "dropped", with clips).
   * @param {(clips: string[]) => void} [opts.onPlayed] called after each
   *   announcement has finished playing.
   * @param {(state: string) => void} [opts.onStateChange] called with the
   *   new state() whenever it changes.
   * @param {number} [opts.volume] 0…1, default 1.
   * @param {number} [opts.pause] seconds of silence after each announcement, default 0.6.
   * @param {Storage|null} [opts.storage] where the on/off choice is kept; default localStorage.
   */
  constructor(opts = {}) {
    this._url = opts.url || ((name) => new URL(`../voice/${name}.opus`, import.meta.url).href);
    this._onBlocked = opts.onBlocked || (() => {});
    this._onPlayed = opts.onPlayed || (() => {});
    this._onStateChange = opts.onStateChange || (() => {});
    this._volume = opts.volume ?? 1;
    this._pause = opts.pause ?? 0.6;
    this._storage = opts.storage === undefined ? safeLocalStorage() : opts.storage;
    this._ctx = null;
    this._gain = null;
    this._clips = new Map(); // name → Promise<AudioBuffer>
    this._tail = Promise.resolve(); // the FIFO: each announcement chains on the previous one
    this._pending = 0;
    this._queued = 0; // announcements ever queued, to tell how far behind one is
    // When calls come faster than they can be spoken, only the newest
    // maxBehind wait; older ones are skipped rather than said minutes late.
    this._maxBehind = opts.maxBehind ?? 6;
    this._onSkipped = opts.onSkipped || (() => {});
    this._enabled = this._load() === "on";
    this._lastState = this.state();
    if (this._enabled) {
      // Remembered from an earlier visit: try to start without a gesture.
      this._context();
      this._start().then((running) => {
        if (!running) this._onBlocked({ reason: "suspended" });
      });
    }
  }

  /**
   * enable turns sound on. Call it from a user gesture (click, tap, key):
   * that is what lets the browser start audio. It remembers the choice.
   * @returns {Promise<string>} the state afterwards.
   */
  async enable() {
    this._enabled = true;
    this._save("on");
    const ctx = this._context(); // created or resumed inside the gesture
    const resumed = ctx.resume();
    // A silent one-sample buffer unlocks output on browsers that want a
    // sound started within the gesture itself.
    const src = ctx.createBufferSource();
    src.buffer = ctx.createBuffer(1, 1, ctx.sampleRate);
    src.connect(ctx.destination);
    src.start();
    await Promise.race([resumed, delay(START_TIMEOUT_MS)]);
    this._changed();
    return this.state();
  }

  /** disable turns sound off and remembers it; queued announcements are dropped. */
  disable() {
    this._enabled = false;
    this._save("off");
    if (this._ctx) this._ctx.suspend();
    this._changed();
  }

  /**
   * state tells whether announcements are heard.
   * @returns {"on"|"blocked"|"off"} "off" until enable() (or after disable()),
   *   "blocked" when on but the browser keeps audio suspended, else "on".
   */
  state() {
    if (!this._enabled) return "off";
    return this._ctx && this._ctx.state === "running" ? "on" : "blocked";
  }

  /**
   * announce queues one announcement. It starts when every earlier one has
   * finished; it is dropped (and onBlocked called) if sound is blocked when
   * its turn comes, skipped silently if sound is off, and skipped (onSkipped)
   * if maxBehind newer announcements are already waiting. A clip that cannot
   * be fetched or decoded is skipped with a console warning.
   * @param {string[]} clips clip names in order, as board.Announcement returns them.
   * @returns {Promise<boolean>} resolves when its turn is over: true if it was played.
   */
  announce(clips) {
    clips = Array.from(clips);
    this._pending++;
    const mine = ++this._queued;
    if (this._enabled) this.preload(clips); // fetch while earlier ones play
    const turn = this._tail.then(() => {
      if (this._queued - mine >= this._maxBehind) {
        this._onSkipped({ reason: "behind", clips });
        return false;
      }
      return this._play(clips);
    });
    this._tail = turn.catch(() => false).finally(() => this._pending--);
    return turn;
  }

  /** pending is the number of announcements queued or playing. */
  get pending() {
    return this._pending;
  }

  /** idle resolves when the queue is empty. */
  async idle() {
    while (this._pending > 0) await this._tail;
  }

  /**
   * preload fetches and decodes clips ahead of use (e.g. the whole manifest).
   * @param {string[]} clips
   * @returns {Promise<void>}
   */
  async preload(clips) {
    await Promise.all(clips.map((c) => this._buffer(c).catch(() => null)));
  }

  async _play(clips) {
    if (!this._enabled) return false;
    const ctx = this._context();
    if (ctx.state !== "running" && !(await this._start())) {
      this._onBlocked({ reason: "dropped", clips });
      return false;
    }
    const buffers = [];
    for (const name of clips) {
      try {
        buffers.push(await this._buffer(name));
      } catch (err) {
        console.warn(`voice: clip ${name}: ${err.message || err}`);
      }
    }
    if (buffers.length === 0 || !this._enabled) return false;
    let t = ctx.currentTime + 0.05;
    let last = null;
    for (const buf of buffers) {
      const src = ctx.createBufferSource();
      src.buffer = buf;
      src.connect(this._gain);
      src.start(t);
      t += buf.duration;
      last = src;
    }
    const total = t - ctx.currentTime;
    await new Promise((resolve) => {
      last.onended = resolve;
      // If the context is suspended mid-way, onended never comes: don't hang the queue.
      setTimeout(resolve, (total + 2) * 1000);
    });
    if (this._pause > 0) await delay(this._pause * 1000);
    this._onPlayed(clips);
    return true;
  }

  // _buffer returns the decoded clip, fetching it once. A failure is not
  // cached, so a clip missing during an update is tried again next time.
  _buffer(name) {
    let p = this._clips.get(name);
    if (!p) {
      const ctx = this._context();
      p = fetch(this._url(name))
        .then((res) => {
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.arrayBuffer();
        })
        .then((data) => ctx.decodeAudioData(data));
      p.catch(() => {
        if (this._clips.get(name) === p) this._clips.delete(name);
      });
      this._clips.set(name, p);
    }
    return p;
  }

  _context() {
    if (!this._ctx) {
      const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
      this._ctx = new AC({ latencyHint: "playback" });
      this._gain = this._ctx.createGain();
      this._gain.gain.value = this._volume;
      this._gain.connect(this._ctx.destination);
      this._ctx.onstatechange = () => this._changed();
    }
    return this._ctx;
  }

  // _start tries to resume the context without a gesture; false if it stays
  // suspended.
  async _start() {
    const ctx = this._context();
    if (ctx.state === "running") return true;
    await Promise.race([ctx.resume().catch(() => {}), delay(START_TIMEOUT_MS)]);
    this._changed();
    return ctx.state === "running";
  }

  _changed() {
    const s = this.state();
    if (s === this._lastState) return;
    this._lastState = s;
    this._onStateChange(s);
    if (s === "blocked") this._onBlocked({ reason: "suspended" });
  }

  _load() {
    try {
      return this._storage ? this._storage.getItem(STORAGE_KEY) : null;
    } catch {
      return null;
    }
  }

  _save(v) {
    try {
      if (this._storage) this._storage.setItem(STORAGE_KEY, v);
    } catch {
      // private mode or storage full: the choice lasts for this page only
    }
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function safeLocalStorage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null;
  }
}
