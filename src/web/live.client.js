// The live view: asks for the API token once (kept in localStorage), loads the current state over
// REST, then follows /ws. A rejected token asks again; a dropped socket reconnects with backoff.
// Routes: #/ the overview, #/device/<id> a device's page.
import { api, apiPaths, download, send, setToken, token, Unauthorized } from "./api.client.js";
import { createThroughputChart } from "./chart.client.js";
import { renderDevicePage } from "./device.client.js";
import { bitrate, bytes, count, fill, fullTime, label, setCaptureNow, timeOfDay } from "./dom.client.js";
import { createHistory } from "./history.client.js";
import { bySeverity, deviceRows, flowRows, Names, talkerRows, threatRows } from "./render.client.js";

const REFRESH_MS = 10_000;
const MAX_FLOWS_KEPT = 500;
const MAX_FLOWS_SHOWN = 60;
const DEVICES_SHOWN = 12;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 15_000;
const TOAST_MS = 4000;

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const state = {
  /** @type {Map<string, any>} */ devices: new Map(),
  /** @type {Map<string, any>} */ threats: new Map(),
  /** @type {Map<string, any>} */ flows: new Map(),
  /** @type {any} */ capture: null,
  /** @type {any} */ stats: null,
  loaded: false,
  allDevices: false,
  /** Scan groups the user opened in Recent flows. */ openGroups: new Set(),
  pcap: { threats: false, flows: false },
};
const chart = createThroughputChart($("chart"));
let names = new Names(state.devices);
const history = createHistory({ names: () => names, onError: handleError });
/** @type {any} */ let devicePage = null;

/** Shows the token form and resolves once the user submitted a token. The hint stays; an error shows beside it. */
function askToken(error) {
  const dialog = /** @type {HTMLDialogElement} */ ($("token-dialog"));
  const input = /** @type {HTMLInputElement} */ ($("token-input"));
  const note = $("token-message");
  note.textContent = error ?? "";
  note.classList.toggle("error", Boolean(error));
  input.value = "";
  if (!dialog.open) dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    $("token-form").addEventListener("submit", () => {
      setToken(input.value.trim());
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

function handleError(e) {
  if (e instanceof Unauthorized) return void reauthenticate();
  toast(String(/** @type {Error} */ (e)?.message ?? e));
}

// ---- rendering, batched per animation frame ----
const dirty = new Set();
let frame = 0;
function invalidate(part) {
  dirty.add(part);
  frame ||= requestAnimationFrame(render);
}
/** The names the threat and flow lists were last drawn with: a device update that leaves them alone (last seen, bytes) redraws neither. */
let listedNames = "";
function render() {
  frame = 0;
  if (dirty.has("devices")) names = new Names(state.devices);
  // Lists wait for the first load: no "No active threats" behind the token dialog.
  if (state.loaded) {
    const renamed = names.key !== listedNames;
    listedNames = names.key;
    if (dirty.has("threats") || renamed) renderThreats();
    if (dirty.has("devices")) renderDevices();
    if (dirty.has("flows") || renamed) renderFlows();
  }
  if (dirty.has("capture")) renderCapture();
  dirty.clear();
}

const text = (el) => /** @type {HTMLInputElement} */ (el).value.trim().toLowerCase();

function renderThreats() {
  const status = $("threat-status").value;
  const q = text($("threat-search"));
  const sort = $("threat-sort").value;
  const all = [...state.threats.values()];
  let list = all.filter((t) => status === "all" || (status === "dismissed" ? t.status === "dismissed" : t.status !== "dismissed"));
  if (q) list = list.filter((t) => [t.title, t.description, t.type, t.sourceIp, t.targetIp, t.dismissedBy, t.severity].join(" ").toLowerCase().includes(q));
  list.sort(sort === "newest" ? (a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)) : sort === "count" ? (a, b) => b.count - a.count || bySeverity(a, b) : bySeverity);
  fill($("threat-list"), threatRows(list, { onDismiss: dismiss, names, pcap: state.pcap.threats, onPcap: (t) => pcap("threat", t) }), $("threat-empty"));
  $("threat-empty").textContent = q ? "No threat matches." : status === "dismissed" ? "Nothing dismissed yet." : status === "all" ? "No threats recorded." : "No active threats.";
  const active = all.filter((t) => t.status !== "dismissed").length;
  $("threat-count").textContent = active ? String(active) : "";
  $("kpi-threats").textContent = String(active);
}

const v4key = (d) => {
  const ip = (d.ips ?? []).find((x) => /^\d+\.\d+\.\d+\.\d+$/.test(x));
  return ip ? ip.split(".").map((n) => n.padStart(3, "0")).join(".") : `~${d.ips?.[0] ?? "~"}`;
};
const DEVICE_SORTS = {
  recent: (a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)),
  name: (a, b) => names.name(a).localeCompare(names.name(b), undefined, { sensitivity: "base" }),
  ip: (a, b) => v4key(a).localeCompare(v4key(b)),
  traffic: (a, b) => (b.bytesSent + b.bytesReceived) - (a.bytesSent + a.bytesReceived),
};

function renderDevices() {
  const q = text($("device-search"));
  let list = [...state.devices.values()];
  if (q) {
    list = list.filter((d) => [names.name(d), label(d.suggested?.name), d.hostname, ...(d.ips ?? []), ...(d.macs ?? []), d.mac, label(d.vendor), label(d.type), label(d.os), d.notes]
      .filter(Boolean).join(" ").toLowerCase().includes(q));
  }
  list.sort(DEVICE_SORTS[$("device-sort").value] ?? DEVICE_SORTS.recent);
  const shown = state.allDevices || q ? list : list.slice(0, DEVICES_SHOWN);
  fill($("device-list"), deviceRows(shown, names), $("device-empty"));
  $("device-empty").textContent = q ? "No device matches." : "No devices seen yet.";
  const more = $("device-more");
  more.hidden = shown.length >= list.length;
  more.textContent = `Show all ${list.length}`;
  $("device-count").textContent = state.devices.size ? String(state.devices.size) : "";
}

function renderFlows() {
  const q = text($("flow-search"));
  const status = $("flow-status").value;
  let list = [...state.flows.values()];
  if (status) list = list.filter((f) => f.status === status);
  if (q) {
    list = list.filter((f) => {
      const s = names.deviceOf(f.srcIp);
      const d = names.deviceOf(f.dstIp);
      return [f.srcIp, f.dstIp, f.hostname, f.application, f.service, f.protocol, s && names.name(s), d && names.name(d), String(f.dstPort)]
        .filter(Boolean).join(" ").toLowerCase().includes(q);
    });
  }
  list.sort($("flow-sort").value === "bytes"
    ? (a, b) => (b.bytesSent + b.bytesReceived) - (a.bytesSent + a.bytesReceived)
    : (a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)) || Number(b.id) - Number(a.id));
  fill($("flow-list"), flowRows(list, names, {
    pcap: state.pcap.flows, onPcap: (f) => pcap("flow", f), open: state.openGroups, max: MAX_FLOWS_SHOWN,
    onToggle: (key) => {
      if (state.openGroups.has(key)) state.openGroups.delete(key);
      else state.openGroups.add(key);
      renderFlows();
      /** @type {HTMLElement | null} */ (document.querySelector(`tr[data-group="${CSS.escape(key)}"] button`))?.focus();
    },
  }), $("flow-empty"));
  $("flow-empty").textContent = q || status ? "No flow matches." : "Waiting for flows…";
}

function renderCapture() {
  const c = state.capture;
  const btn = /** @type {HTMLButtonElement} */ ($("capture-toggle"));
  btn.disabled = !c;
  if (!c) return;
  const source = c.mode === "file" ? `file ${String(c.file ?? "").split("/").pop()}` : c.interface ?? "interface";
  $("capture-status").textContent = c.running ? `capturing ${source}` : `capture stopped${c.error ? `: ${c.error}` : ""}`;
  $("capture-status").dataset.running = String(Boolean(c.running));
  btn.textContent = c.running ? "Stop capture" : "Start capture";
  btn.className = c.running ? "danger" : "primary";
  if (state.stats) showStats(state.stats, false);
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

function showStats(s, push = true) {
  state.stats = s;
  if (push) chart.push(s);
  const ms = Date.parse(s.time);
  setCaptureNow(ms);
  $("capture-time").textContent = timeOfDay(ms);
  $("capture-time").title = `Capture time: ${fullTime(ms)}`;
  $("kpi-bps").textContent = bitrate(s.bytesPerSecond);
  $("kpi-pps").textContent = count(s.packetsPerSecond);
  // Flows still in the table once capture stopped are not active: nothing reaches them any more.
  const running = state.capture ? state.capture.running : true;
  $("kpi-flows").textContent = count(running ? s.activeFlows : 0);
  $("kpi-flows").title = running ? "" : `${count(s.activeFlows)} flows were open when capture stopped`;
  $("kpi-devices").textContent = count(s.devices);
  $("kpi-drops").textContent = count(s.drops);
  $("kpi-drops").title = `${count(s.packets)} packets, ${bytes(s.bytes)} so far`;
}

function setDevice(d) {
  state.devices.set(d.id, d);
  invalidate("devices");
}

function onMessage(msg) {
  switch (msg.type) {
    case "stats": return showStats(msg);
    case "flow":
      for (const f of msg.flows) upsertFlow(f);
      return invalidate("flows");
    case "device": return setDevice(msg.device);
    case "threat":
      state.threats.set(msg.threat.id, msg.threat);
      return invalidate("threats");
    case "capture": return setCapture(msg.status);
    case "error": return console.warn("live feed:", msg.error?.message);
  }
}

// ---- actions ----
async function dismiss(id, btn) {
  btn.disabled = true;
  try {
    const t = await send(`/api/threats/${encodeURIComponent(id)}/dismiss`, "POST", { by: "live view" });
    state.threats.set(id, t);
    invalidate("threats");
    devicePage?.refresh();
  } catch (e) {
    btn.disabled = false;
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Dismiss failed: ${e.message}`);
  }
}

async function pcap(kind, x) {
  try {
    await download(`/api/${kind === "threat" ? "threats" : "flows"}/${encodeURIComponent(x.id)}/pcap`, `netinsight-${kind}-${x.id}.pcapng`);
  } catch (e) {
    handleError(e);
  }
}

async function toggleCapture() {
  const btn = /** @type {HTMLButtonElement} */ ($("capture-toggle"));
  const action = state.capture?.running ? "stop" : "start";
  btn.disabled = true;
  try {
    setCapture(await send(`/api/capture/${action}`, "POST", {}));
  } catch (e) {
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Could not ${action} capture: ${e.message}`);
    api("/api/capture/status").then(setCapture, () => {});
  } finally {
    btn.disabled = !state.capture;
  }
}

// ---- loading ----
/**
 * Talkers of the flows the page holds, from each device's side: history is written a minute at a
 * time, so in a capture's first minute the flows are the only record of who is talking.
 */
function liveTalkers() {
  const by = new Map();
  const add = (ip, sent, received) => {
    const d = names.deviceOf(ip);
    if (!d) return;
    const t = by.get(d.id) ?? { deviceId: d.id, ip, name: names.name(d), bytesSent: 0, bytesReceived: 0, flows: 0 };
    t.bytesSent += sent;
    t.bytesReceived += received;
    t.flows++;
    by.set(d.id, t);
  };
  for (const f of state.flows.values()) {
    add(f.srcIp, f.bytesSent ?? 0, f.bytesReceived ?? 0);
    if (names.deviceOf(f.dstIp) !== names.deviceOf(f.srcIp)) add(f.dstIp, f.bytesReceived ?? 0, f.bytesSent ?? 0);
  }
  return [...by.values()].sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived));
}

async function refreshTalkers() {
  try {
    const a = await api("/api/analytics?hours=1");
    const stored = a?.topTalkers ?? [];
    const talkers = stored.length ? stored : liveTalkers();
    $("talkers-window").textContent = stored.length || !talkers.length ? "(last hour)" : "(recent flows; history is written each minute)";
    fill($("talker-list"), talkerRows(talkers, names), $("talker-empty"));
  } catch (e) {
    if (e instanceof Unauthorized) reauthenticate();
  }
}

/** Loads what the socket does not replay. Throws Unauthorized when the token is wrong. */
async function loadAll() {
  const [capture, devices, threats, flows] = await Promise.allSettled([
    api("/api/capture/status"),
    api("/api/devices"),
    api("/api/threats?limit=1000"),
    api(`/api/flows?limit=${MAX_FLOWS_KEPT}`),
  ]);
  for (const r of [capture, devices, threats, flows]) if (r.status === "rejected" && r.reason instanceof Unauthorized) throw r.reason;
  if (capture.status === "fulfilled") setCapture(capture.value);
  if (devices.status === "fulfilled") {
    state.devices = new Map((devices.value?.devices ?? []).map((d) => [d.id, d]));
    invalidate("devices");
  }
  if (threats.status === "fulfilled") {
    state.threats = new Map((threats.value?.threats ?? []).map((t) => [t.id, t]));
    invalidate("threats");
  }
  if (flows.status === "fulfilled") {
    for (const f of [...(flows.value?.flows ?? [])].reverse()) upsertFlow(f);
    invalidate("flows");
  }
  // Until the first stats message, the capture's clock is its newest flow (not the wall clock: a replayed file is older).
  if (!state.stats) {
    const newest = Math.max(0, ...[...state.flows.values()].map((f) => Date.parse(f.lastSeen) || 0));
    if (newest) setCaptureNow(newest);
  }
  const paths = await apiPaths();
  state.pcap = { threats: paths.has("/api/threats/{threat_id}/pcap"), flows: paths.has("/api/flows/{flow_id}/pcap") };
  state.loaded = true;
  names = new Names(state.devices);
  for (const part of ["threats", "devices", "flows"]) invalidate(part);
  await Promise.all([refreshTalkers(), history.load()]);
  route();
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
        if (e instanceof Unauthorized) continue;
        // The token is fine; the load is retried with the refreshes until it succeeds.
        toast(`Could not load: ${/** @type {Error} */ (e).message}`);
        break;
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
      // Catch up on what happened while away, and on the first connect on what happened between the
      // first load and the socket's opening: a threat raised in that gap sends no event again until it
      // changes, which for a finished scan is never.
      if (everConnected || state.loaded) loadAll().catch(() => {});
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

// ---- routes ----
function route() {
  const m = /^#\/device\/(.+)$/.exec(location.hash);
  const overview = $("overview");
  const view = $("device-view");
  if (!m) {
    devicePage = null;
    view.hidden = true;
    view.replaceChildren();
    overview.hidden = false;
    document.title = "NetInsight";
    return;
  }
  if (!state.loaded) return; // after the first load
  const id = decodeURIComponent(m[1]);
  overview.hidden = true;
  view.hidden = false;
  window.scrollTo(0, 0);
  devicePage = renderDevicePage(view, {
    id, state, names: () => names, onError: handleError, onDismiss: dismiss, pcap: state.pcap, onPcap: pcap,
    onSaved: (d) => {
      setDevice(d);
      names = new Names(state.devices);
      route();
      // The page was drawn again with the new name: say so in its status line.
      $("edit-status").textContent = "Saved.";
    },
  });
  const d = state.devices.get(id);
  document.title = d ? `${names.name(d)} · NetInsight` : "NetInsight";
}

async function start() {
  $("capture-toggle").addEventListener("click", toggleCapture);
  // The page is useless without a token, so Escape must not leave the form closed and the page dead.
  $("token-dialog").addEventListener("cancel", (e) => e.preventDefault());
  $("change-token").addEventListener("click", () => askToken().then(() => location.reload()));
  for (const [id, part] of [["threat-search", "threats"], ["threat-status", "threats"], ["threat-sort", "threats"], ["device-search", "devices"], ["device-sort", "devices"], ["flow-search", "flows"], ["flow-status", "flows"], ["flow-sort", "flows"]]) {
    $(id).addEventListener("input", () => invalidate(part));
  }
  $("device-more").addEventListener("click", () => {
    state.allDevices = true;
    invalidate("devices");
  });
  addEventListener("hashchange", route);
  // Started first: a wrong token at the start must not leave the page without its refreshes.
  setInterval(() => {
    if (authenticating || /** @type {HTMLDialogElement} */ ($("token-dialog")).open) return;
    // A first load that failed (the service restarting, say) is tried again instead of leaving empty lists.
    if (!state.loaded) return void loadAll().catch((e) => (e instanceof Unauthorized ? reauthenticate() : toast(`Could not load: ${e.message}`)));
    refreshTalkers();
    if (devicePage) devicePage.refresh();
    else history.load();
  }, REFRESH_MS);
  if (!token()) await askToken();
  try {
    await loadAll();
  } catch (e) {
    if (e instanceof Unauthorized) return reauthenticate();
    toast(`Could not load: ${e.message}`);
  }
  connect();
}

// For the end-to-end test and for curious users in the console.
Object.assign(window, { netinsight: { state, chartPoints: () => chart.points(), historyPoints: () => history.points(), devicePoints: () => devicePage?.chartPoints?.() ?? 0 } });
start();
