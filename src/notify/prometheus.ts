/**
 * GET /metrics in the Prometheus text exposition format (version 0.0.4): traffic counters from the
 * live bus, devices and threats from the service, storage, memory, WebSocket and notification figures.
 */
import type { LiveBus, LiveStats } from "../service/bus.ts";
import type { ServiceContext } from "../service/context.ts";
import type { ChannelStatus } from "./status.ts";

/** Per-device series are capped (the busiest devices first) so a network of spoofed MACs cannot blow up a TSDB. */
export const DEFAULT_METRICS_MAX_DEVICES = 100;

export interface MetricsSources {
  ctx: ServiceContext;
  bus: LiveBus;
  maxDevices?: number;
  wsClients?: () => number;
  notifications?: () => ChannelStatus[];
  /**
   * Flows started and ended since start, when the pipeline counts them (its worker sends flow
   * events only while a /ws client takes them); without it they are counted from the bus.
   */
  flowCounts?: () => { started: number; ended: number };
}

type Labels = Record<string, string>;
interface Sample { labels?: Labels; value: number }
interface Family { name: string; help: string; type: "counter" | "gauge"; samples: Sample[] }

/** Escapes a label value as the exposition format wants (backslash, quote, newline). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export function renderFamilies(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = s.labels && Object.keys(s.labels).length
        ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`
        : "";
      out.push(`${f.name}${labels} ${formatValue(s.value)}`);
    }
  }
  return out.join("\n") + "\n";
}

/** Collects between scrapes what only the bus tells (flows started), and renders a scrape. */
export class MetricsCollector {
  #stats: LiveStats | null = null;
  #flowsStarted = 0;
  #flowsEnded = 0;
  #unsubscribe: () => void;

  constructor(readonly src: MetricsSources) {
    this.#unsubscribe = src.bus.subscribe((e) => {
      if (e.type === "stats") this.#stats = e.data;
      else if (e.type === "flow" && e.event === "new") this.#flowsStarted++;
      else if (e.type === "flow" && e.event === "closed") this.#flowsEnded++;
    });
  }

  close(): void {
    this.#unsubscribe();
  }

  async scrape(): Promise<string> {
    const { ctx } = this.src;
    const [capture, devices, threats] = await Promise.all([ctx.capture.status(), ctx.devices.list(), ctx.threats.list({})]);
    const health = ctx.health();
    const stats = this.#stats;
    const flowCounts = this.src.flowCounts?.();
    const mem = process.memoryUsage();
    const gauge = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: "gauge", samples });
    const counter = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: "counter", samples });
    const one = (value: number): Sample[] => [{ value }];

    const threatCounts = new Map<string, { labels: Labels; value: number }>();
    for (const t of threats) {
      const key = `${t.type}\0${t.severity}\0${t.status}`;
      const c = threatCounts.get(key) ?? { labels: { type: t.type, severity: t.severity, status: t.status }, value: 0 };
      c.value++;
      threatCounts.set(key, c);
    }
    const cap = this.src.maxDevices ?? DEFAULT_METRICS_MAX_DEVICES;
    const busiest = [...devices].sort((a, b) => (b.bytesSent + b.bytesReceived) - (a.bytesSent + a.bytesReceived) || a.id.localeCompare(b.id));
    const shown = busiest.slice(0, cap);
    const deviceBytes: Sample[] = [];
    for (const d of shown) {
      const name = d.edit?.name ?? d.name.value ?? d.hostname ?? d.mac;
      deviceBytes.push({ labels: { device: d.id, name, direction: "sent" }, value: d.bytesSent });
      deviceBytes.push({ labels: { device: d.id, name, direction: "received" }, value: d.bytesReceived });
    }
    const channels = this.src.notifications?.() ?? [];

    return renderFamilies([
      gauge("netinsight_info", "Version of the running NetInsight", [{ labels: { version: health.version }, value: 1 }]),
      gauge("netinsight_uptime_seconds", "Seconds since the service started", one(health.uptimeSeconds)),
      gauge("netinsight_capture_running", "1 while capture runs", one(capture.running ? 1 : 0)),
      counter("netinsight_packets_total", "Packets analyzed since start", one(stats?.packets ?? capture.packets)),
      counter("netinsight_bytes_total", "Bytes analyzed since start", one(stats?.bytes ?? capture.bytes)),
      counter("netinsight_capture_drops_total", "Packets the kernel or interface dropped during the current capture", one(capture.drops)),
      gauge("netinsight_capture_packets_per_second", "Capture rate over the last second", one(capture.packetsPerSecond)),
      gauge("netinsight_capture_bytes_per_second", "Capture throughput over the last second", one(capture.bytesPerSecond)),
      gauge("netinsight_flows_active", "Flows in the flow table", one(stats?.activeFlows ?? 0)),
      counter("netinsight_flows_started_total", "Flows started since start", one(flowCounts?.started ?? this.#flowsStarted)),
      counter("netinsight_flows_ended_total", "Flows ended since start", one(flowCounts?.ended ?? this.#flowsEnded)),
      gauge("netinsight_devices", "Devices known", one(devices.length)),
      gauge("netinsight_threats", "Threat records by type, severity and status", [...threatCounts.values()]),
      counter("netinsight_device_bytes_total", `Bytes per device and direction (the ${cap} busiest devices)`, deviceBytes),
      gauge("netinsight_device_series_omitted", "Devices left out of netinsight_device_bytes_total by the cap", one(devices.length - shown.length)),
      gauge("netinsight_database_ok", "1 while the database answers", one(health.dbOk ? 1 : 0)),
      gauge("netinsight_database_size_bytes", "Bytes used by the SQLite database", one(health.dbSizeBytes)),
      gauge("netinsight_write_queue_rows", "Rows waiting for the next database write", one(health.pendingRows)),
      gauge("netinsight_problems", "Problems /api/health reports", one(health.problems.length)),
      gauge("netinsight_memory_rss_bytes", "Resident memory of the process (all threads)", one(mem.rss)),
      gauge("netinsight_memory_heap_used_bytes", "JavaScript heap in use in the API thread", one(mem.heapUsed)),
      gauge("netinsight_websocket_clients", "Connected WebSocket clients", one(this.src.wsClients?.() ?? 0)),
      counter("netinsight_notifications_delivered_total", "Notifications delivered per channel", channels.map((c) => ({ labels: { channel: c.name }, value: c.delivered }))),
      counter("netinsight_notification_failures_total", "Failed delivery attempts per channel (retried)", channels.map((c) => ({ labels: { channel: c.name }, value: c.failedAttempts }))),
      gauge("netinsight_notifications_pending", "Notifications waiting in the outbox per channel", channels.map((c) => ({ labels: { channel: c.name }, value: c.pending }))),
    ]);
  }
}
