// A device's page (#/device/<id>): what it is and why we think so, the user's name for it, its
// traffic over an hour/day/week, applications, destinations, threats and flows.
import { api, send } from "./api.client.js";
import { createHistoryChart } from "./chart.client.js";
import { bytes, clock, fill, fullTime, h, label } from "./dom.client.js";
import { bySeverity, flowRows, threatRows, TYPE_ICONS, typeBadge } from "./render.client.js";

const TYPES = Object.keys(TYPE_ICONS);
const WINDOWS = [["1", "Hour"], ["24", "Day"], ["168", "Week"]];

/**
 * @param {HTMLElement} root
 * @param {{ id: string, state: any, names: () => import("./render.client.js").Names, onError: (e: unknown) => void,
 *   onDismiss: (id: string, btn: HTMLButtonElement) => void, pcap: { threats: boolean, flows: boolean }, onPcap: (kind: string, x: any) => void,
 *   onSaved: (d: any) => void }} o
 */
export function renderDevicePage(root, o) {
  const d = o.state.devices.get(o.id);
  if (!d) {
    root.replaceChildren(h("section", { class: "card wide" }, h("h2", { tabindex: "-1" }, "Unknown device"),
      h("p", null, `No device with id ${o.id}. `, h("a", { href: "#/" }, "Back to the overview"))));
    return { refresh() {}, update() {} };
  }
  const names = o.names();
  const id = d.id;
  const q = encodeURIComponent(id);
  const type = label(d.type);

  // ---- what it is ----
  const title = h("h2", { id: "device-title", tabindex: "-1" }, typeBadge(type), " ", names.name(d));
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => v && facts.append(h("dt", null, k), h("dd", null, v));
  const suggestedName = label(d.suggested?.name);
  fact("Addresses", (d.ips ?? []).join(", "));
  fact(d.macs?.length > 1 ? "MACs" : "MAC", [...new Set([d.mac, ...(d.macs ?? [])])].join(", ") + (d.isRandomizedMac ? " (randomized)" : ""));
  fact("Host name", d.hostname);
  fact("Vendor", label(d.vendor));
  fact("Type", type);
  fact("OS", label(d.os));
  fact("Our guess", d.edited && [suggestedName, label(d.suggested?.type)].filter(Boolean).join(", "));
  fact("Notes", d.notes);
  fact("First seen", fullTime(d.firstSeen));
  fact("Last seen", fullTime(d.lastSeen));
  fact("Traffic", `${bytes(d.bytesSent ?? 0)} sent, ${bytes(d.bytesReceived ?? 0)} received in ${d.flowCount ?? 0} flows`);

  // ---- the user's edit ----
  const nameIn = h("input", { type: "text", id: "edit-name", name: "name", maxlength: "80", placeholder: suggestedName || d.hostname || "" });
  nameIn.value = d.edited?.name ?? "";
  const typeSel = h("select", { id: "edit-type", name: "type" }, h("option", { value: "" }, `Our guess${label(d.suggested?.type) ? ` (${label(d.suggested.type)})` : ""}`),
    ...TYPES.map((t) => h("option", { value: t }, t.replace("_", " "))));
  typeSel.value = d.edited?.type ?? "";
  const notesIn = h("textarea", { id: "edit-notes", name: "notes", rows: "2", maxlength: "2000" });
  notesIn.value = d.edited?.notes ?? "";
  const knownIn = h("input", { type: "checkbox", id: "edit-known", name: "known" });
  knownIn.checked = Boolean(d.known);
  const saved = h("span", { class: "muted small", role: "status", id: "edit-status" });
  const form = h("form", { class: "edit", id: "device-edit" },
    h("label", null, "Name", nameIn),
    h("label", null, "Type", typeSel),
    h("label", null, "Notes", notesIn),
    h("label", { class: "check" }, knownIn, "Known device (no new-device alerts)"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save"), saved));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    saved.textContent = "Saving…";
    try {
      const body = { name: nameIn.value.trim() || null, type: typeSel.value || null, notes: notesIn.value.trim() || null, known: knownIn.checked };
      const updated = await send(`/api/devices/${q}`, "PATCH", body);
      saved.textContent = "Saved.";
      o.onSaved(updated);
    } catch (err) {
      saved.textContent = `Not saved: ${/** @type {Error} */ (err).message}`;
      o.onError(err);
    }
  });

  // ---- evidence ----
  const evidence = h("ul", { class: "list", id: "device-evidence" }, ...(d.evidence ?? []).map((ev) =>
    h("li", null, h("div", { class: "main" }, h("div", { class: "title" }, ev.value), h("div", { class: "sub" }, `${ev.signal} · ${clock(ev.lastSeen)}`)))));

  // ---- traffic, applications, destinations, threats, flows ----
  const chartEl = h("div", { class: "chart", id: "device-chart" });
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "Traffic window" },
    ...WINDOWS.map(([hrs, text]) => h("button", { type: "button", "data-hours": hrs, "aria-pressed": String(hrs === "1") }, text)));
  const apps = h("tbody", { id: "device-apps" });
  const appsEmpty = h("p", { class: "empty", hidden: true }, "No applications recognised.");
  const dests = h("tbody", { id: "device-dests" });
  const destsEmpty = h("p", { class: "empty", hidden: true }, "No destinations.");
  const threats = h("ul", { class: "list", id: "device-threats" });
  const threatsEmpty = h("p", { class: "empty", hidden: true }, "No threats involve this device.");
  const flows = h("tbody", { id: "device-flows" });
  const flowsEmpty = h("p", { class: "empty", hidden: true }, "No flows.");

  root.replaceChildren(
    h("section", { class: "card wide device-head-card", "aria-labelledby": "device-title" },
      h("div", { class: "device-head" }, title,
        d.known && h("span", { class: "tag known" }, "known"), d.isGateway && h("span", { class: "tag" }, "gateway"),
        h("a", { href: "#/" }, "← All devices"))),
    h("section", { class: "card", "aria-label": "About" }, h("h2", null, "About"), facts),
    h("section", { class: "card", "aria-labelledby": "edit-title" }, h("h2", { id: "edit-title" }, "Name and notes"), form),
    h("section", { class: "card third", "aria-labelledby": "evidence-title" }, h("h2", { id: "evidence-title" }, "Why we think so ", h("span", { class: "count" }, String(d.evidence?.length ?? 0))), evidence),
    h("section", { class: "card wide", "aria-labelledby": "traffic-title" }, h("div", { class: "head" }, h("h2", { id: "traffic-title" }, "Traffic"), tabs), chartEl),
    h("section", { class: "card" }, h("h2", null, "Applications"), h("table", { class: "table" }, apps), appsEmpty),
    h("section", { class: "card" }, h("h2", null, "Destinations"), h("table", { class: "table" }, dests), destsEmpty),
    h("section", { class: "card third" }, h("h2", null, "Threats"), threats, threatsEmpty),
    h("section", { class: "card wide" }, h("h2", null, "Flows"), h("div", { class: "scroll" }, h("table", { class: "table" },
      h("thead", null, h("tr", null, h("th", { class: "hide-sm" }, "Last seen"), h("th", null, "Proto"), h("th", null, "Source"), h("th", null, "Destination"),
        h("th", { class: "hide-sm" }, "Service"), h("th", { class: "num" }, "Bytes"), h("th", { class: "hide-sm" }, "State"))), flows)), flowsEmpty),
  );
  // Total bars with the sent part drawn over them: two bars per bucket side by side would halve both.
  const chart = createHistoryChart(chartEl, ["Total", "Sent"]);
  let hours = 1;
  const open = new Set();

  const money = (x) => [h("td", { class: "num" }, `↑ ${bytes(x.bytesSent)}`), h("td", { class: "num" }, `↓ ${bytes(x.bytesReceived)}`), h("td", { class: "num hide-sm muted" }, `${x.flows} flows`)];
  let flowList = [];
  const drawFlows = () => fill(flows, flowRows(flowList, o.names(), {
    pcap: o.pcap.flows, onPcap: (f) => o.onPcap("flow", f), open, max: 100,
    onToggle: (k) => { open.has(k) ? open.delete(k) : open.add(k); drawFlows(); },
  }), flowsEmpty);

  /** Each part on its own: one slow or failing answer leaves the others shown. */
  async function refresh() {
    const part = (path, show) => api(path).then(show, o.onError);
    await Promise.all([
      part(`/api/devices/${q}/timeline?hours=${hours}`, (t) => chart.set(t.points.map((p) => ({ time: p.time, values: [p.bytesSent + p.bytesReceived, p.bytesSent] })))),
      part(`/api/devices/${q}/applications?hours=${hours}`, (a) => fill(apps, a.applications.map((x) =>
        h("tr", null, h("td", null, x.application, x.category && h("span", { class: "muted small" }, ` ${x.category}`)), ...money(x))), appsEmpty)),
      part(`/api/devices/${q}/destinations?hours=${hours}`, (ds) => fill(dests, ds.destinations.map((x) =>
        h("tr", null, h("td", null, x.host, x.host !== x.ip && h("div", { class: "muted small" }, x.ip)), ...money(x))), destsEmpty)),
      part(`/api/threats?device_id=${q}&limit=100`, (th) => fill(threats, threatRows([...th.threats].sort(bySeverity),
        { onDismiss: o.onDismiss, names: o.names(), pcap: o.pcap.threats, onPcap: (x) => o.onPcap("threat", x) }), threatsEmpty)),
      part(`/api/devices/${q}/flows?limit=100`, (fl) => {
        flowList = fl.flows;
        drawFlows();
      }),
    ]);
  }
  for (const b of tabs.querySelectorAll("button")) {
    b.addEventListener("click", () => {
      hours = Number(/** @type {HTMLElement} */ (b).dataset.hours);
      for (const x of tabs.querySelectorAll("button")) x.setAttribute("aria-pressed", String(x === b));
      refresh();
    });
  }
  refresh();
  title.focus();
  return { refresh, chartPoints: () => chart.points() };
}
