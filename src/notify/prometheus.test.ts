import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../test/support/net.ts";
import { escapeLabel, renderFamilies } from "./prometheus.ts";
import { haveTool, HOME_LAB_PCAP, startTestService, type TestService } from "./testing.ts";

/** Parses exposition text into "name{labels}" -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe("exposition format", () => {
  test("label values are escaped; HELP and TYPE precede the samples", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderFamilies([{ name: "x_total", help: "X", type: "counter", samples: [{ labels: { n: 'q"' }, value: 3 }] }]);
    expect(text).toBe('# HELP x_total X\n# TYPE x_total counter\nx_total{n="q\\""} 3\n');
  });
});

describe("GET /metrics", () => {
  let svc: TestService;
  let text = "";
  beforeAll(async () => {
    svc = await startTestService({ METRICS_MAX_DEVICES: "3" });
    await svc.feed(HOME_LAB_PCAP);
    await Bun.sleep(1100); // one stats event after the file ended
    const res = await svc.call("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    text = await res.text();
  });
  afterAll(() => svc?.stop());

  test("needs the bearer token", async () => {
    expect((await fetch(`${svc.base}/metrics`)).status).toBe(401);
  });

  test("agrees with the REST API: packets, devices, threats, per-device bytes under the cap", async () => {
    const m = samples(text);
    const capture = (await (await svc.call("/api/capture/status")).json()) as { packets: number; bytes: number };
    const { devices } = (await (await svc.call("/api/devices")).json()) as { devices: { id: string; bytesSent: number; bytesReceived: number }[] };
    const { threats } = (await (await svc.call("/api/threats")).json()) as { threats: { type: string; severity: string; status: string }[] };
    expect(m.get("netinsight_packets_total")).toBe(capture.packets);
    expect(m.get("netinsight_bytes_total")).toBe(capture.bytes);
    expect(m.get("netinsight_devices")).toBe(devices.length);
    expect(devices.length).toBeGreaterThan(3);
    expect(m.get("netinsight_device_series_omitted")).toBe(devices.length - 3);
    const busiest = [...devices].sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived))[0];
    const sent = [...m].find(([k]) => k.startsWith(`netinsight_device_bytes_total{device="${busiest.id}"`) && k.includes('direction="sent"'));
    expect(sent?.[1]).toBe(busiest.bytesSent);
    expect([...m.keys()].filter((k) => k.startsWith("netinsight_device_bytes_total{")).length).toBe(6);
    expect(threats.length).toBeGreaterThan(0);
    const t = threats[0];
    expect(m.get(`netinsight_threats{type="${t.type}",severity="${t.severity}",status="${t.status}"}`)).toBe(
      threats.filter((x) => x.type === t.type && x.severity === t.severity && x.status === t.status).length);
    expect(m.get("netinsight_flows_started_total")).toBeGreaterThan(0);
    expect(m.get("netinsight_database_ok")).toBe(1);
    expect(m.get("netinsight_memory_rss_bytes")).toBeGreaterThan(0);
    expect(m.has("netinsight_websocket_clients")).toBe(true);
  });

  test("a device's user-given name labels its series", async () => {
    const { devices } = (await (await svc.call("/api/devices")).json()) as { devices: { id: string; bytesSent: number; bytesReceived: number }[] };
    // The busiest device: inside the cap of 3.
    const id = [...devices].sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived))[0].id;
    const res = await svc.call(`/api/devices/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: 'Anna\'s "phone"' }) });
    expect(res.status).toBe(200);
    const text = await (await svc.call("/metrics")).text();
    expect(text).toContain(`netinsight_device_bytes_total{device="${id}",name="Anna's \\"phone\\"",direction="sent"}`);
  });

  test("promtool check metrics accepts the exposition", async () => {
    if (!haveTool("promtool", "the exposition check")) return;
    const proc = Bun.spawn(["promtool", "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
    const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
    expect({ code: await proc.exited, out }).toEqual({ code: 0, out: "" });
  });

  test("a real Prometheus scrapes it with the token", async () => {
    if (!haveTool("prometheus", "the scrape test")) return;
    const dir = mkdtempSync(path.join(tmpdir(), "ni-alerts-prom-"));
    const port = await freePort();
    const target = new URL(svc.base).host;
    writeFileSync(path.join(dir, "prometheus.yml"), [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: netinsight",
      "    metrics_path: /metrics",
      `    authorization: { credentials: "${svc.token}" }`,
      `    static_configs: [{ targets: ["${target}"] }]`,
    ].join("\n"));
    const proc = Bun.spawn(["prometheus", `--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`], { stdout: "ignore", stderr: "pipe" });
    try {
      let value: string | null = null;
      let up: string | null = null;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && value === null && proc.exitCode === null) {
        await Bun.sleep(250);
        try {
          const q = async (expr: string) => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as any).data?.result?.[0]?.value?.[1] ?? null;
          up = await q('up{job="netinsight"}');
          value = await q("netinsight_packets_total");
        } catch {
          // not listening yet
        }
      }
      if (value === null) {
        console.warn(`skipped: prometheus did not scrape within 15 s (up=${up}, exit=${proc.exitCode})`);
        return;
      }
      const capture = (await (await svc.call("/api/capture/status")).json()) as { packets: number };
      expect(up).toBe("1");
      expect(Number(value)).toBe(capture.packets);
    } finally {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
