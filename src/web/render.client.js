// Turns the live view's state (maps of API-shaped records) into list and table rows.
import { ago, bytes, clock, endpoint, h, label } from "./dom.client.js";

const MAX_DEVICES_SHOWN = 100;
const MAX_FLOWS_SHOWN = 50;
const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3 };

/** @param {Map<string, any>} threats @param {(id: string, btn: HTMLButtonElement) => void} onDismiss */
export function threatRows(threats, onDismiss) {
  const list = [...threats.values()].filter((t) => t.status !== "dismissed");
  list.sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || String(b.lastSeen).localeCompare(String(a.lastSeen)));
  return list.map((t) => {
    const btn = h("button", { type: "button", class: "dismiss danger", "aria-label": `Dismiss ${t.title}` }, "Dismiss");
    btn.addEventListener("click", () => onDismiss(t.id, btn));
    const where = [t.sourceIp && `from ${t.sourceIp}`, t.targetIp && `to ${t.targetPort ? endpoint(t.targetIp, t.targetPort) : t.targetIp}`].filter(Boolean).join(" ");
    return h("li", { "data-id": t.id },
      h("span", { class: `sev sev-${t.severity}` }, t.severity),
      h("div", { class: "main" },
        h("div", { class: "title" }, t.title),
        t.description && h("div", { class: "sub" }, t.description),
        h("div", { class: "sub" }, [where, t.count > 1 ? `${t.count}×` : "", ago(t.lastSeen)].filter(Boolean).join(" · "))),
      btn);
  });
}

/** @param {Map<string, any>} devices */
export function deviceRows(devices) {
  const list = [...devices.values()].sort((a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)));
  return list.slice(0, MAX_DEVICES_SHOWN).map((d) => {
    const name = label(d.name) || d.hostname || d.mac;
    const type = label(d.type);
    const vendor = label(d.vendor);
    const os = label(d.os);
    return h("li", { "data-id": d.id },
      h("div", { class: "main" },
        h("div", { class: "title" }, name, " ", type && type !== "unknown" && h("span", { class: "tag" }, type), d.isGateway && h("span", { class: "tag" }, "gateway")),
        h("div", { class: "sub vendor" }, [vendor || "unknown vendor", os].filter(Boolean).join(" · ")),
        h("div", { class: "sub" }, [(d.ips ?? []).slice(0, 2).join(", "), d.mac, ago(d.lastSeen)].filter(Boolean).join(" · "))));
  });
}

/** @param {any[]} talkers from GET /api/analytics `topTalkers` */
export function talkerRows(talkers) {
  const max = Math.max(1, ...talkers.map((t) => (t.bytesSent ?? 0) + (t.bytesReceived ?? 0)));
  return talkers.slice(0, 10).map((t) => {
    const total = (t.bytesSent ?? 0) + (t.bytesReceived ?? 0);
    const bar = h("div", { class: "bar" });
    bar.style.width = `${Math.max(2, (100 * total) / max)}%`;
    return h("tr", { "data-id": t.deviceId ?? t.ip ?? "" },
      h("td", null, h("div", null, t.name || t.ip || t.deviceId || "?"), t.name && t.ip && h("div", { class: "muted small" }, t.ip), bar),
      h("td", { class: "num" }, bytes(t.bytesSent ?? 0)),
      h("td", { class: "num" }, bytes(t.bytesReceived ?? 0)),
      h("td", { class: "num hide-sm" }, String(t.flows ?? "")));
  });
}

/** @param {Map<string, any>} flows */
export function flowRows(flows) {
  const list = [...flows.values()].sort((a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)));
  return list.slice(0, MAX_FLOWS_SHOWN).map((f) => {
    const service = [f.application, f.service].filter(Boolean).join(" / ") || "";
    return h("tr", { "data-id": f.id, class: f.status },
      h("td", { class: "hide-sm" }, clock(f.lastSeen)),
      h("td", null, f.protocol),
      h("td", { class: "addr" }, endpoint(f.srcIp, f.srcPort)),
      h("td", null, h("div", { class: "addr" }, endpoint(f.dstIp, f.dstPort)), f.hostname && h("div", { class: "muted small" }, f.hostname)),
      h("td", { class: "hide-sm" }, service),
      h("td", { class: "num" }, bytes((f.bytesSent ?? 0) + (f.bytesReceived ?? 0))),
      h("td", { class: "hide-sm" }, f.status === "closed" ? "closed" : f.tcpState ?? "active"));
  });
}
