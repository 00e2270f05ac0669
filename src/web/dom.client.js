// DOM and number formatting helpers for the live view. Everything shown comes from packets
// (hostnames, SNI, DHCP names), so text always goes in through textContent, never innerHTML.

/**
 * @param {string} tag
 * @param {Record<string, string | boolean | ((e: Event) => void)> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false || c === "") continue;
    el.append(typeof c === "object" ? c : String(c));
  }
  return el;
}

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/** @param {number} n */
export function bytes(n) {
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${UNITS[i]}`;
}

/** @param {number} bytesPerSecond */
export function bitrate(bytesPerSecond) {
  let n = bytesPerSecond * 8;
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** @param {number} n */
export function count(n) {
  return n >= 10000 ? `${(n / 1000).toFixed(n >= 100000 ? 0 : 1)}k` : String(Math.round(n));
}

// ---- time: every time on the page is the capture's own clock, in one format ----

/** The capture's "now" (epoch ms): the newest stats time, else the wall clock. */
let captureNowMs = 0;
/** @param {number} ms */
export function setCaptureNow(ms) {
  if (Number.isFinite(ms)) captureNowMs = ms;
}
export function captureNow() {
  return captureNowMs || Date.now();
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");

/** The one time format: 24-hour HH:MM:SS, local time. @param {number} ms */
export function timeOfDay(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The date in the same style, YYYY-MM-DD. @param {number} ms */
export function dateOf(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** HH:MM:SS, with the date before it when it is not the capture's current day. @param {string | null | undefined} iso */
export function clock(iso) {
  if (!iso) return "";
  const ms = Date.parse(iso);
  return dateOf(ms) === dateOf(captureNow()) ? timeOfDay(ms) : `${dateOf(ms)} ${timeOfDay(ms)}`;
}

/** The full date and time (tooltips, history). @param {string | number | null | undefined} t */
export function fullTime(t) {
  if (t === null || t === undefined) return "";
  const ms = typeof t === "number" ? t : Date.parse(t);
  return `${dateOf(ms)} ${timeOfDay(ms)}`;
}

/** "12 s ago" style, against the capture's clock. @param {string | null | undefined} iso */
export function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, (captureNow() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return dateOf(Date.parse(iso));
}

/** A device Label ({ value, confidence }) or a plain string, as text. */
export function label(v) {
  if (v && typeof v === "object") return v.value ?? "";
  return v ?? "";
}

/** An IPv6 address with its port, bracketed so the port is readable. */
export function endpoint(ip, port) {
  if (!port) return ip;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A row's identity across redraws: its record's id, or its group's key. @param {Element} row */
const rowKey = (row) => row.getAttribute("data-id") || row.getAttribute("data-group") || "";

/**
 * Makes `rows` the children of `el` and toggles the sibling "empty" note. A row already shown with the
 * same key and the same content stays the very element it was: a redraw (several a second while a
 * capture runs) then costs no layout for it, and a button the user is about to click is not swapped
 * for a copy under the pointer. Changed, new and gone rows are replaced, added and removed.
 * @param {Element} el @param {Element[]} rows @param {HTMLElement} [emptyEl]
 */
export function fill(el, rows, emptyEl) {
  /** @type {Map<string, Element>} */
  const shown = new Map();
  for (const child of el.children) {
    const key = rowKey(child);
    if (key && !shown.has(key)) shown.set(key, child);
  }
  let next = el.firstElementChild;
  for (const row of rows) {
    const key = rowKey(row);
    const old = key ? shown.get(key) : undefined;
    if (old) shown.delete(key);
    const node = old && old.isEqualNode(row) ? old : row;
    if (node === next) next = next.nextElementSibling;
    else el.insertBefore(node, next);
  }
  // Everything from `next` on was not placed: rows gone, and the old copies of changed rows.
  while (next) {
    const after = next.nextElementSibling;
    next.remove();
    next = after;
  }
  if (emptyEl) emptyEl.hidden = rows.length > 0;
}
