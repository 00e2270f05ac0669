// Turns the live view's state (maps of API-shaped records) into list and table rows.
import { ago, bytes, clock, endpoint, fullTime, h, label } from "./dom.client.js";

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3 };
/**
 * A scan's probes (TCP attempts that never connected, tiny UDP/ICMP exchanges) from one source to
 * one target collapse into one row when there are at least SCAN_GROUP_MIN of them.
 */
const TINY_FLOW_BYTES = 300;
const SCAN_GROUP_MIN = 5;

/** A short badge per device type (letters: no emoji font needed, read out by screen readers as the type). */
export const TYPE_ICONS = {
  phone: "Ph", computer: "PC", tablet: "Tab", tv: "TV", speaker: "Spk", camera: "Cam", printer: "Prn", iot: "IoT",
  game_console: "Game", router: "Rtr", nas: "NAS", unknown: "?",
};

/** The type badge of a device. @param {string} type */
export function typeBadge(type) {
  const t = TYPE_ICONS[type] ? type : "unknown";
  return h("span", { class: `icon type-${t}`, title: t.replace("_", " "), "aria-hidden": "true" }, TYPE_ICONS[t]);
}

/** Where a device's page is. @param {string} id */
export const deviceHref = (id) => `#/device/${encodeURIComponent(id)}`;

/**
 * Names for devices and addresses: a user's name, else the guess, else the host name or MAC; look-alikes
 * (same name) get the end of their address so "Intel computer" ×5 can be told apart.
 */
export class Names {
  /** @param {Map<string, any>} devices */
  constructor(devices) {
    this.devices = devices;
    /** @type {Map<string, any>} */ this.byIp = new Map();
    /** @type {Map<string, number>} */ const seen = new Map();
    for (const d of devices.values()) {
      for (const ip of d.ips ?? []) this.byIp.set(ip, d);
      const n = Names.base(d);
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    this.dup = seen;
    /** Everything the shown names and links depend on: equal keys, equal names. */
    this.key = [...devices.values()].map((d) => `${d.id}\t${Names.base(d)}\t${(d.ips ?? []).join(",")}\t${d.mac}`).join("\n");
  }

  /** @param {any} d */
  static base(d) {
    return label(d.name) || d.hostname || label(d.vendor) && `${label(d.vendor)} device` || d.mac;
  }

  /** The shown name: look-alikes get " · .23" (IPv4 end) or " · …:3a:4f" (MAC end). @param {any} d */
  name(d) {
    const base = Names.base(d);
    if ((this.dup.get(base) ?? 0) < 2) return base;
    return `${base} · ${tail(d)}`;
  }

  /** The device an address belongs to, if any. @param {string | null | undefined} ip */
  deviceOf(ip) {
    return ip ? this.byIp.get(ip) : undefined;
  }
}

/** What tells a device apart: the end of its IPv4 address, else of its MAC. */
export function tail(d) {
  const v4 = (d.ips ?? []).find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
  return v4 ? `.${v4.split(".").pop()}` : `…${String(d.mac ?? "").slice(-5)}`;
}

/** A link to a device's page. */
export function deviceLink(d, names, text) {
  return h("a", { href: deviceHref(d.id), class: "dev", "data-device": d.id }, text ?? names.name(d));
}

/** An address, as its device's name (a link) when it is a known device. */
export function who(ip, port, names) {
  const d = names.deviceOf(ip);
  if (!d) return h("span", { class: "addr" }, endpoint(ip, port));
  return h("span", null, deviceLink(d, names), h("span", { class: "muted small addr" }, ` ${endpoint(ip, port)}`));
}

/**
 * @param {any[]} threats already filtered and sorted
 * @param {{ onDismiss: (id: string, btn: HTMLButtonElement) => void, names: Names, pcap: boolean, onPcap: (t: any) => void }} o
 */
export function threatRows(threats, o) {
  return threats.map((t) => {
    const active = t.status !== "dismissed";
    const btn = active && h("button", { type: "button", class: "dismiss danger", "aria-label": `Dismiss ${t.title}` }, "Dismiss");
    if (btn) btn.addEventListener("click", () => o.onDismiss(t.id, /** @type {HTMLButtonElement} */ (btn)));
    const pcap = o.pcap && h("button", { type: "button", class: "link pcap", "aria-label": `Download the packets of ${t.title}` }, "pcap");
    if (pcap) pcap.addEventListener("click", () => o.onPcap(t));
    const src = t.sourceIp && o.names.deviceOf(t.sourceIp);
    const dst = t.targetIp && o.names.deviceOf(t.targetIp);
    return h("li", { "data-id": t.id, class: active ? "" : "dismissed" },
      h("span", { class: `sev sev-${t.severity}` }, t.severity),
      h("div", { class: "main" },
        h("div", { class: "title" }, t.title),
        t.description && h("div", { class: "sub" }, t.description),
        h("div", { class: "sub" },
          t.sourceIp && ["from ", src ? deviceLink(src, o.names) : t.sourceIp, " "],
          t.targetIp && ["to ", dst ? deviceLink(dst, o.names) : endpoint(t.targetIp, t.targetPort), " "],
          [t.count > 1 ? `· ${t.count}× ` : "", `· ${clock(t.lastSeen)}`].join("")),
        !active && h("div", { class: "sub dismissal" },
          `Dismissed${t.dismissedBy ? ` by ${t.dismissedBy}` : ""}${t.dismissedAt ? ` at ${fullTime(t.dismissedAt)}` : ""}`)),
      h("div", { class: "actions" }, btn, pcap));
  });
}

/** @param {any[]} devices already filtered and sorted @param {Names} names */
export function deviceRows(devices, names) {
  return devices.map((d) => {
    const type = label(d.type);
    const vendor = label(d.vendor);
    const os = label(d.os);
    const suggested = d.edited?.name && label(d.suggested?.name);
    return h("li", { "data-id": d.id },
      typeBadge(type),
      h("div", { class: "main" },
        h("div", { class: "title" }, deviceLink(d, names), " ",
          type && type !== "unknown" && h("span", { class: "tag" }, type),
          d.isGateway && h("span", { class: "tag" }, "gateway"),
          d.known && h("span", { class: "tag known" }, "known")),
        h("div", { class: "sub vendor" }, [vendor || "unknown vendor", os, suggested && `guess: ${suggested}`].filter(Boolean).join(" · ")),
        h("div", { class: "sub" }, [(d.ips ?? []).slice(0, 2).join(", "), d.mac, d.hostname && d.hostname !== label(d.name) ? d.hostname : "", ago(d.lastSeen)].filter(Boolean).join(" · "))));
  });
}

/** @param {any[]} talkers from GET /api/analytics `topTalkers` @param {Names} names */
export function talkerRows(talkers, names) {
  const max = Math.max(1, ...talkers.map((t) => (t.bytesSent ?? 0) + (t.bytesReceived ?? 0)));
  return talkers.slice(0, 10).map((t) => {
    const total = (t.bytesSent ?? 0) + (t.bytesReceived ?? 0);
    const bar = h("div", { class: "bar" });
    bar.style.width = `${Math.max(2, (100 * total) / max)}%`;
    const d = (t.deviceId && names.devices.get(t.deviceId)) || names.deviceOf(t.ip);
    return h("tr", { "data-id": t.deviceId ?? t.ip ?? "" },
      h("td", null, h("div", null, d ? deviceLink(d, names) : t.name || t.ip || t.deviceId || "?"), t.ip && h("div", { class: "muted small" }, t.ip), bar),
      h("td", { class: "num" }, bytes(t.bytesSent ?? 0)),
      h("td", { class: "num" }, bytes(t.bytesReceived ?? 0)),
      h("td", { class: "num hide-sm" }, String(t.flows ?? "")));
  });
}

/** @param {any} f @param {Names} names @param {{ pcap: boolean, onPcap: (f: any) => void }} o */
function flowRow(f, names, o, extra = {}) {
  const service = [f.application, f.service].filter(Boolean).join(" / ") || "";
  const pcap = o.pcap && h("button", { type: "button", class: "link pcap", "aria-label": `Download the packets of flow ${f.id}` }, "pcap");
  if (pcap) pcap.addEventListener("click", () => o.onPcap(f));
  return h("tr", { "data-id": f.id, class: f.status, ...extra },
    h("td", { class: "hide-sm" }, clock(f.lastSeen)),
    h("td", null, f.protocol),
    h("td", null, who(f.srcIp, f.srcPort, names)),
    h("td", null, who(f.dstIp, f.dstPort, names), f.hostname && h("div", { class: "muted small" }, f.hostname)),
    h("td", { class: "hide-sm" }, service),
    h("td", { class: "num" }, bytes((f.bytesSent ?? 0) + (f.bytesReceived ?? 0)), pcap && " ", pcap),
    h("td", { class: "hide-sm" }, f.status === "closed" ? "closed" : f.tcpState ?? "active"));
}

const isTiny = (f) => !f.application && (f.protocol === "TCP"
  ? f.tcpState === "attempt" || f.tcpState === "reset"
  : (f.bytesSent ?? 0) + (f.bytesReceived ?? 0) <= TINY_FLOW_BYTES);

/**
 * Flow rows, newest first; a scan's many tiny flows (one source, one target) become one group row,
 * opened with its button (its flows follow it, hidden until then).
 * @param {any[]} flows already filtered and sorted @param {Names} names
 * @param {{ pcap: boolean, onPcap: (f: any) => void, open: Set<string>, onToggle: (key: string) => void, max: number }} o
 */
export function flowRows(flows, names, o) {
  /** @type {Map<string, any[]>} */
  const groups = new Map();
  for (const f of flows) {
    if (!isTiny(f)) continue;
    const key = `${f.protocol} ${f.srcIp} ${f.dstIp}`;
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  const rows = [];
  const done = new Set();
  let shown = 0;
  for (const f of flows) {
    if (shown >= o.max) break;
    const key = `${f.protocol} ${f.srcIp} ${f.dstIp}`;
    const group = isTiny(f) ? groups.get(key) : undefined;
    if (!group || group.length < SCAN_GROUP_MIN) {
      rows.push(flowRow(f, names, o));
      shown++;
      continue;
    }
    if (done.has(key)) continue;
    done.add(key);
    shown++;
    const open = o.open.has(key);
    const ports = group.map((x) => x.dstPort).filter((p) => p > 0);
    const range = ports.length ? ` to ports ${Math.min(...ports)}–${Math.max(...ports)}` : "";
    const toggle = h("button", {
      type: "button", class: "link group-toggle", "aria-expanded": String(open),
      "aria-label": `${open ? "Hide" : "Show"} the ${group.length} probes from ${f.srcIp} to ${f.dstIp}`,
    }, open ? "Hide" : "Show");
    toggle.addEventListener("click", () => o.onToggle(key));
    rows.push(h("tr", { class: "group", "data-group": key },
      h("td", { class: "hide-sm" }, clock(group[0].lastSeen)),
      h("td", null, f.protocol),
      h("td", null, who(f.srcIp, 0, names)),
      h("td", null, who(f.dstIp, 0, names), h("div", { class: "muted small" }, `${group.length} probes${range} `, toggle)),
      h("td", { class: "hide-sm" }, "many small probes"),
      h("td", { class: "num" }, bytes(group.reduce((s, x) => s + (x.bytesSent ?? 0) + (x.bytesReceived ?? 0), 0))),
      h("td", { class: "hide-sm" }, `${group.filter((x) => x.status !== "closed").length} active`)));
    if (open) for (const x of group) rows.push(flowRow(x, names, o, { class: `${x.status} in-group` }));
  }
  return rows;
}

/** Threats sorted as a person reads them: worst first, then newest. */
export const bySeverity = (a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || String(b.lastSeen).localeCompare(String(a.lastSeen));
