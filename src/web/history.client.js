// The history panel: throughput over 24 hours or 7 days, top applications, destinations, devices
// and services, from /api/analytics and /api/protocols (the capture's clock decides "the last 24 hours").
import { api } from "./api.client.js";
import { createHistoryChart } from "./chart.client.js";
import { bytes, fill, fullTime, h } from "./dom.client.js";
import { deviceLink } from "./render.client.js";

/** @param {{ names: () => import("./render.client.js").Names, onError: (e: unknown) => void }} o */
export function createHistory(o) {
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const chart = createHistoryChart($("history-chart"), ["Traffic"]);
  let hours = 1;
  let busy = false;

  const rowsOf = (items, cell) => items.map((x) => h("tr", null, h("td", null, cell(x)), h("td", { class: "num" }, bytes(x.bytes ?? (x.bytesSent ?? 0) + (x.bytesReceived ?? 0))), h("td", { class: "num hide-sm muted" }, `${x.flows ?? ""} flows`)));
  const put = (id, rows) => fill($(id), rows, /** @type {HTMLElement} */ ($(id).closest("div")?.querySelector(".empty")));

  async function load() {
    if (busy) return;
    busy = true;
    try {
      const [a, p] = await Promise.all([api(`/api/analytics?hours=${hours}`), api(`/api/protocols?hours=${hours}`)]);
      chart.set((a.throughput ?? []).map((t) => ({ time: t.time, values: [t.bytes] })));
      const t = a.totals ?? {};
      $("history-totals").textContent = `${fullTime(a.from)} – ${fullTime(a.to)} · ${bytes(t.bytes ?? 0)} in ${t.flows ?? 0} flows · ${t.devices ?? 0} devices · ${t.threats ?? 0} threats`;
      put("history-apps", rowsOf(a.topApplications ?? [], (x) => [x.application, x.category ? h("span", { class: "muted small" }, ` ${x.category}`) : ""]));
      put("history-dests", rowsOf(a.topDestinations ?? [], (x) => x.host));
      const names = o.names();
      put("history-devices", rowsOf(a.topTalkers ?? [], (x) => {
        const d = (x.deviceId && names.devices.get(x.deviceId)) || names.deviceOf(x.ip);
        return d ? deviceLink(d, names) : x.name || x.ip || "?";
      }));
      put("history-services", rowsOf((p.services ?? []).slice(0, 10), (x) => [x.service, h("span", { class: "muted small" }, ` ${x.percent}%`)]));
    } catch (e) {
      o.onError(e);
    } finally {
      busy = false;
    }
  }

  /** The day in brief, beside the live chart: history on the first screen. */
  async function loadSummary() {
    try {
      const a = await api("/api/analytics?hours=24");
      const t = a.totals ?? {};
      const facts = $("summary-facts");
      facts.replaceChildren(
        h("dt", null, "Traffic"), h("dd", null, bytes(t.bytes ?? 0)),
        h("dt", null, "Flows"), h("dd", null, String(t.flows ?? 0)),
        h("dt", null, "Devices"), h("dd", null, String(t.devices ?? 0)),
        h("dt", null, "Threats"), h("dd", null, String(t.threats ?? 0)));
      const top = (a.topTalkers ?? [])[0];
      const names = o.names();
      const d = top && ((top.deviceId && names.devices.get(top.deviceId)) || names.deviceOf(top.ip));
      if (top) facts.append(h("dt", null, "Busiest"), h("dd", null, d ? deviceLink(d, names) : top.name || top.ip || "?"));
      $("summary-apps").replaceChildren(...(a.topApplications ?? []).slice(0, 3).map((x) => h("li", null, `${x.application} `, h("span", { class: "muted small" }, bytes(x.bytes)))));
      if (!(a.topApplications ?? []).length) $("summary-apps").replaceChildren(h("li", { class: "muted" }, "none recognised yet"));
    } catch (e) {
      o.onError(e);
    }
  }

  for (const btn of document.querySelectorAll("#history .tabs button")) {
    btn.addEventListener("click", () => {
      hours = Number(/** @type {HTMLElement} */ (btn).dataset.hours);
      for (const b of document.querySelectorAll("#history .tabs button")) b.setAttribute("aria-pressed", String(b === btn));
      load();
    });
  }
  return { load: () => Promise.all([load(), loadSummary()]), points: () => chart.points() };
}
