// The live view: asks for the API token once (kept in localStorage), loads the current state over
// REST, then follows /ws. A rejected token asks again; a dropped socket reconnects with backoff.
import { createThroughputChart } from "./chart.client.js";
import { bitrate, bytes, clock, count, fill } from "./dom.client.js";
import { deviceRows, flowRows, talkerRows, threatRows } from "./render.client.js";

const TOKEN_KEY = "netinsight.token";
const TALKERS_REFRESH_MS = 10_000;
const MAX_FLOWS_KEPT = 200;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 15_000;
const TOAST_MS = 4000;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const state = {
  /** @type {Map<string, any>} */ devices: new Map(),
  /** @type {Map<string, any>} */ threats: new Map(),
  /** @type {Map<string, any>} */ flows: new Map(),
  /** @type {any} */ capture: null,
};
const chart = createThroughputChart($("chart"));

class Unauthorized extends Error {}

const token = () => localStorage.getItem(TOKEN_KEY) ?? "";

async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { ...init.headers, accept: "application/json", authorization: `Bearer ${token()}` },
  });
  if (res.status === 401) throw new Unauthorized("token rejected");
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Shows the token form and resolves once the user submitted a token. */
function askToken(message) {
  const dialog = /** @type {HTMLDialogElement} */ ($("token-dialog"));
  const input = /** @type {HTMLInputElement} */ ($("token-input"));
  const note = $("token-message");
  if (message) {
    note.textContent = message;
    note.classList.add("error");
  }
  input.value = "";
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    $("token-form").addEventListener("submit", () => {
      localStorage.setItem(TOKEN_KEY, input.value.trim());
      resolve(undefined);
    }, { once: true });
  });
}

let toastTimer;
function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), TOAST_MS);
}

// ---- rendering, batched per animation frame ----
const dirty = new Set();
let frame = 0;
function invalidate(part) {
  dirty.add(part);
  frame ||= requestAnimationFrame(render);
}
function render() {
  frame = 0;
  if (dirty.has("threats")) {
    const rows = threatRows(state.threats, dismiss);
    fill($("threat-list"), rows, $("threat-empty"));
    $("threat-count").textContent = rows.length ? String(rows.length) : "";
  }
  if (dirty.has("devices")) {
    fill($("device-list"), deviceRows(state.devices), $("device-empty"));
    $("device-count").textContent = state.devices.size ? String(state.devices.size) : "";
  }
  if (dirty.has("flows")) fill($("flow-list"), flowRows(state.flows), $("flow-empty"));
  if (dirty.has("capture")) renderCapture();
  dirty.clear();
}

function renderCapture() {
  const c = state.capture;
  const btn = /** @type {HTMLButtonElement} */ ($("capture-toggle"));
  btn.disabled = !c;
  if (!c) return;
  const source = c.mode === "file" ? `file ${String(c.file ?? "").split("/").pop()}` : c.interface ?? "interface";
  const text = c.running
    ? `capturing ${source}${c.since ? ` since ${clock(c.since)}` : ""}`
    : `capture stopped${c.error ? `: ${c.error}` : ""}`;
  $("capture-status").textContent = text;
  $("capture-status").dataset.running = String(Boolean(c.running));
  btn.textContent = c.running ? "Stop capture" : "Start capture";
  btn.className = c.running ? "danger" : "primary";
}

// ---- state changes ----
function setCapture(status) {
  state.capture = status;
  invalidate("capture");
}

function upsertFlow(f) {
  state.flows.delete(f.id); // re-insert so the Map stays in arrival order for trimming
  state.flows.set(f.id, f);
  while (state.flows.size > MAX_FLOWS_KEPT) state.flows.delete(state.flows.keys().next().value);
}

function upsertThreat(t, event) {
  if (event === "dismissed" || t.status === "dismissed") state.threats.delete(t.id);
  else state.threats.set(t.id, t);
  invalidate("threats");
}

function showStats(s) {
  chart.push(s);
  $("kpi-bps").textContent = bitrate(s.bytesPerSecond);
  $("kpi-pps").textContent = count(s.packetsPerSecond);
  $("kpi-flows").textContent = count(s.activeFlows);
  $("kpi-devices").textContent = count(s.devices);
  $("kpi-drops").textContent = count(s.drops);
  $("kpi-drops").title = `${count(s.packets)} packets, ${bytes(s.bytes)} so far`;
}

function onMessage(msg) {
  switch (msg.type) {
    case "stats": return showStats(msg);
    case "flow":
      for (const f of msg.flows) upsertFlow(f);
      return invalidate("flows");
    case "device":
      state.devices.set(msg.device.id, msg.device);
      return invalidate("devices");
    case "threat": return upsertThreat(msg.threat, msg.event);
    case "capture": return setCapture(msg.status);
    case "error": return console.warn("live feed:", msg.error?.message);
  }
}

// ---- actions ----
async function dismiss(id, btn) {
  btn.disabled = true;
  try {
    await api(`/api/threats/${encodeURIComponent(id)}/dismiss`, { method: "POST" });
    state.threats.delete(id);
    invalidate("threats");
  } catch (e) {
    btn.disabled = false;
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Dismiss failed: ${e.message}`);
  }
}

async function toggleCapture() {
  const btn = /** @type {HTMLButtonElement} */ ($("capture-toggle"));
  const action = state.capture?.running ? "stop" : "start";
  btn.disabled = true;
  try {
    setCapture(await api(`/api/capture/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
  } catch (e) {
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Could not ${action} capture: ${e.message}`);
    api("/api/capture/status").then(setCapture, () => {});
  } finally {
    btn.disabled = !state.capture;
  }
}

// ---- loading ----
async function refreshTalkers() {
  try {
    const a = await api("/api/analytics?hours=1");
    fill($("talker-list"), talkerRows(a?.topTalkers ?? []), $("talker-empty"));
  } catch (e) {
    if (e instanceof Unauthorized) reauthenticate();
  }
}

/** Loads what the socket does not replay. Throws Unauthorized when the token is wrong. */
async function loadAll() {
  const [capture, devices, threats, flows] = await Promise.allSettled([
    api("/api/capture/status"),
    api("/api/devices"),
    api("/api/threats?active_only=true"),
    api("/api/flows?limit=50"),
  ]);
  for (const r of [capture, devices, threats, flows]) if (r.status === "rejected" && r.reason instanceof Unauthorized) throw r.reason;
  if (capture.status === "fulfilled") setCapture(capture.value);
  if (devices.status === "fulfilled") {
    state.devices = new Map((devices.value?.devices ?? []).map((d) => [d.id, d]));
    invalidate("devices");
  }
  if (threats.status === "fulfilled") {
    state.threats = new Map((threats.value?.threats ?? []).filter((t) => t.status !== "dismissed").map((t) => [t.id, t]));
    invalidate("threats");
  }
  if (flows.status === "fulfilled") {
    for (const f of [...(flows.value?.flows ?? [])].reverse()) upsertFlow(f);
    invalidate("flows");
  }
  await refreshTalkers();
}

let authenticating;
/** One prompt at a time, however many requests noticed the bad token. */
function reauthenticate(message = "That token was not accepted. Enter it again.") {
  authenticating ??= (async () => {
    for (;;) {
      await askToken(message);
      try {
        await loadAll();
        break;
      } catch (e) {
        if (!(e instanceof Unauthorized)) break;
      }
    }
    authenticating = undefined;
    connect();
  })();
  return authenticating;
}

// ---- the socket ----
let socket;
let retryMs = RECONNECT_MIN_MS;
let everConnected = false;
function setConn(s) {
  const el = $("conn");
  el.dataset.state = s;
  el.textContent = s;
}

function connect() {
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(token())}`);
  socket = ws;
  let greeted = false;
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "hello") {
      greeted = true;
      retryMs = RECONNECT_MIN_MS;
      setConn("live");
      if (everConnected) loadAll().catch(() => {}); // catch up on what happened while away
      everConnected = true;
    }
    onMessage(msg);
  };
  ws.onclose = async () => {
    if (socket !== ws) return;
    setConn("offline");
    if (!greeted) {
      // A browser cannot see the 401 of a refused upgrade; ask the REST API whether the token is the problem.
      try {
        await api("/api/capture/status");
      } catch (e) {
        if (e instanceof Unauthorized) return reauthenticate();
      }
    }
    setTimeout(connect, retryMs);
    retryMs = Math.min(RECONNECT_MAX_MS, retryMs * 2);
  };
}

async function start() {
  $("capture-toggle").addEventListener("click", toggleCapture);
  // The page is useless without a token, so Escape must not leave the form closed and the page dead.
  $("token-dialog").addEventListener("cancel", (e) => e.preventDefault());
  $("change-token").addEventListener("click", () => askToken("Enter the API token.").then(() => location.reload()));
  if (!token()) await askToken();
  try {
    await loadAll();
  } catch (e) {
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Could not load: ${e.message}`);
  }
  connect();
  setInterval(refreshTalkers, TALKERS_REFRESH_MS);
}

// For the end-to-end test and for curious users in the console.
Object.assign(window, { netinsight: { state, chartPoints: () => chart.points() } });
start();
