/**
 * Route tests: every endpoint through `app.request`, backed by a real service (in-memory database,
 * engine fed from a capture the test writes), including bad parameters, auth, 404s and 409s.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Device } from "../devices/model.ts";
import { openStorage } from "../storage/index.ts";
import { StorageWriter } from "../storage/writer.ts";
import type { Threat } from "../threats/model.ts";
import { NetInsightService, serviceContext } from "../service/service.ts";
import type { ServiceContext } from "../service/context.ts";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import { AnalyticsSchema, CaptureStatusSchema, DeviceSchema, FlowListSchema, FlowSchema, HealthSchema, ProtocolsSchema, ServiceInfoSchema, ThreatListSchema, ThreatSchema } from "./schemas.ts";
import { LAPTOP_IP, OTHER_MAC, T0, writeSampleCapture } from "./testing.ts";

const TOKEN = "test-token-0123456789abcdef";
const auth = { authorization: `Bearer ${TOKEN}` };
const dir = mkdtempSync(path.join(tmpdir(), "ni-api-"));
const capture = writeSampleCapture(path.join(dir, "sample.pcap"));

const storedDevice: Device = {
  id: "a483e70a0b0c", mac: "a4:83:e7:0a:0b:0c", macs: ["a4:83:e7:0a:0b:0c"], ips: [LAPTOP_IP],
  vendor: { value: "Apple, Inc.", confidence: 0.9 }, hostname: "laptop", name: { value: "laptop", confidence: 0.8 },
  type: { value: "computer", confidence: 0.6 }, os: { value: "macOS", confidence: 0.5 }, isRandomizedMac: false,
  isGateway: false, firstSeen: T0 - 3600, lastSeen: T0 - 60, packetsSent: 10, bytesSent: 1000, packetsReceived: 9,
  bytesReceived: 9000, flowCount: 1,
  evidence: [{ signal: "dhcp.hostname", value: "laptop", firstSeen: T0 - 3600, lastSeen: T0 - 3600 }],
};
const storedThreat = (id: string, severity: Threat["severity"]): Threat => ({
  id, type: "port_scan", severity, title: `Port scan ${id}`, description: "many ports", sourceIp: "192.168.1.50",
  sourceMac: null, targetIp: LAPTOP_IP, targetPort: null, deviceId: null, firstSeen: T0 - 100, lastSeen: T0 - 50 + Number(id),
  count: 2, evidence: { ports: 120, windowSeconds: 60 }, status: "active",
});

let service: NetInsightService;
let ctx: ServiceContext;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  const storage = openStorage(":memory:");
  // History from an earlier run: one closed flow, a device, two threats.
  const w = new StorageWriter(storage);
  w.flow({
    id: "7", protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: LAPTOP_IP, srcPort: 39000, dstIp: "5.5.5.5", dstPort: 80,
    srcMac: null, dstMac: null, vlan: 0, packetsSent: 3, bytesSent: 300, packetsReceived: 2, bytesReceived: 200,
    startTime: T0 - 600, lastSeen: T0 - 590, status: "closed", tcpState: "closed", tcpFlags: "SAF", service: "HTTP",
    serviceBy: "port", hostname: "old.example", application: null, category: null, srcDeviceId: storedDevice.id, dstDeviceId: null,
  });
  w.device(storedDevice);
  w.threat(storedThreat("1", "high"));
  w.threat(storedThreat("2", "low"));
  w.flushSync();
  service = await NetInsightService.create({ storage, version: "9.9.9" });
  // Fed like live traffic (serve --read would end every flow at the end of the file): the last UDP
  // flow stays active, so pages merge live flows with stored ones.
  await service.capture.startFile(capture, 0);
  await service.capture.feedDone;
  service.pipeline.devices.flush();
  service.pipeline.threats.flush();
  service.pipeline.rollup.snapshot(service.pipeline.engine.stats.lastSeen!);
  service.pipeline.rollup.flush();
  await service.flush();
  ctx = serviceContext(service);
  app = createApp(ctx, { token: TOKEN });
});

afterAll(async () => {
  await service.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = auth) => app.request(p, { headers });
const post = (p: string, body?: unknown, headers: Record<string, string> = auth) =>
  app.request(p, { method: "POST", headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(JSON.stringify(body)).not.toMatch(/\s+at\s|\.ts:\d+/); // never a stack trace
  return body;
}

describe("service info and health", () => {
  test("GET / answers service info as JSON", async () => {
    const res = await app.request("/", { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    const info = ServiceInfoSchema.parse(await res.json());
    expect(info.version).toBe("9.9.9");
    expect(info.endpoints.docs).toBe("/docs");
  });

  test("GET / gives browsers the live view when one is provided, else JSON", async () => {
    const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
    const withPage = createApp(ctx, { token: TOKEN, htmlRoot: () => new Response("<html>live</html>", { headers: { "content-type": "text/html" } }) });
    const page = await withPage.request("/", { headers: browser });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toBe("<html>live</html>");
    expect((await withPage.request("/", { headers: { accept: "*/*" } })).headers.get("content-type")).toContain("application/json");
    expect((await app.request("/", { headers: browser })).headers.get("content-type")).toContain("application/json");
  });

  test("GET /api/health needs no token", async () => {
    const res = await get("/api/health", {});
    expect(res.status).toBe(200);
    const h = HealthSchema.parse(await res.json());
    expect(h).toMatchObject({ status: "ok", version: "9.9.9", captureRunning: false, problems: [] });
    expect(h.database.ok).toBe(true);
    expect(h.database.lastFlush).not.toBeNull();
  });
});

describe("auth", () => {
  test("every /api route but health needs the bearer token", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/devices"], ["GET", "/api/devices/x"], ["GET", "/api/flows"], ["GET", "/api/flows/1"],
      ["GET", "/api/threats"], ["POST", "/api/threats/1/dismiss"], ["GET", "/api/analytics"], ["GET", "/api/protocols"],
      ["GET", "/api/capture/status"], ["POST", "/api/capture/start"], ["POST", "/api/capture/stop"],
    ];
    for (const [method, p] of routes) {
      const variants: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token" }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
      for (const headers of variants) {
        const res = await app.request(p, { method, headers });
        const body = await expectError(res, 401, "unauthorized");
        expect(body.error.message).toBe("missing or invalid token");
      }
    }
    expect(service.pipeline.threats.get("1")!.status).toBe("active"); // the refused dismiss did nothing
  });
});

describe("devices", () => {
  test("list and get, 404 for an unknown id", async () => {
    const list = DeviceListResponse(await (await get("/api/devices")).json());
    expect(list.devices.map((d) => d.id)).toContain(storedDevice.id);
    const one = await get(`/api/devices/${storedDevice.id}`);
    expect(one.status).toBe(200);
    const d = DeviceSchema.parse(await one.json());
    expect(d.firstSeen).toBe(new Date((T0 - 3600) * 1000).toISOString()); // restored from storage
    expect(Date.parse(d.lastSeen)).toBeGreaterThan((T0 - 60) * 1000); // and seen again in the capture
    expect(d.evidence[0].signal).toBe("dhcp.hostname");
    await expectError(await get("/api/devices/nope"), 404, "not_found");
  });
});

function DeviceListResponse(v: unknown) {
  return (v as { devices: unknown[] }).devices.map((d) => DeviceSchema.parse(d)) && (v as { devices: Device[]; count: number });
}

describe("flows", () => {
  test("live and stored flows merged newest first, camelCase and ISO times", async () => {
    const res = await get("/api/flows");
    expect(res.status).toBe(200);
    const page = FlowListSchema.parse(await res.json());
    expect(page).toMatchObject({ limit: 100, offset: 0 });
    const ids = page.flows.map((f) => f.id);
    expect(ids).toContain("7"); // from the earlier run
    expect(page.flows.length).toBe(5);
    const times = page.flows.map((f) => Date.parse(f.lastSeen));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page.flows[0]).toMatchObject({ dstIp: "9.9.9.9", status: "active", protocol: "UDP" });
    const https = page.flows.find((f) => f.dstPort === 443)!;
    expect(https).toMatchObject({ srcIp: LAPTOP_IP, status: "closed", packetsSent: 5, packetsReceived: 3, startTime: new Date(T0 * 1000).toISOString() });
    expect(Number(https.id)).toBeGreaterThan(7); // ids continue after stored history
  });

  test("filters: status, protocol, ip, device, since, limit and offset", async () => {
    const ids = async (q: string) => FlowListSchema.parse(await (await get(`/api/flows?${q}`)).json()).flows;
    expect((await ids("status=active")).map((f) => f.dstIp)).toEqual(["9.9.9.9"]);
    expect((await ids("status=closed")).every((f) => f.status === "closed")).toBe(true);
    expect((await ids("status=closed")).length).toBe(4);
    expect((await ids("protocol=udp")).map((f) => f.dstIp).sort()).toEqual(["8.8.8.8", "9.9.9.9"]);
    expect((await ids("ip=192.168.1.50")).map((f) => f.dstPort)).toEqual([22]);
    // The device tracker labels live flows with the laptop's id; the stored flow carried it already.
    const laptops = await ids(`device_id=${storedDevice.id}`);
    expect(laptops.map((f) => f.id)).toContain("7");
    expect(laptops.length).toBe(5);
    expect(laptops.every((f) => f.srcDeviceId === storedDevice.id || f.dstDeviceId === storedDevice.id)).toBe(true);
    expect(await ids("device_id=000000000000")).toEqual([]);
    expect((await ids(`since=${new Date((T0 + 1) * 1000).toISOString()}`)).length).toBe(3);
    expect((await ids(`since=${T0 + 1}`)).length).toBe(3);
    const all = await ids("limit=1000");
    expect((await ids("limit=2&offset=1")).map((f) => f.id)).toEqual(all.slice(1, 3).map((f) => f.id));
  });

  test("bad parameters answer 400 in the error shape", async () => {
    for (const q of ["limit=0", "limit=1001", "limit=abc", "offset=-1", "status=open", "protocol=FTP", "ip=999.1.1.1", "since=yesterday"]) {
      const body = await expectError(await get(`/api/flows?${q}`), 400, "invalid_request");
      expect(body.error.message).toContain(q.split("=")[0]);
      expect(Array.isArray((body.error as { details?: unknown }).details)).toBe(true);
    }
  });

  test("one flow by id: live, stored; 400 for a malformed id, 404 for an unknown one", async () => {
    const live = FlowListSchema.parse(await (await get("/api/flows?status=active")).json()).flows[0];
    expect(FlowSchema.parse(await (await get(`/api/flows/${live.id}`)).json()).dstIp).toBe("9.9.9.9");
    expect(FlowSchema.parse(await (await get("/api/flows/7")).json()).hostname).toBe("old.example");
    await expectError(await get("/api/flows/abc"), 400, "invalid_request");
    await expectError(await get("/api/flows/999999"), 404, "not_found");
  });
});

describe("threats", () => {
  test("list with filters, dismiss, 404 and bad parameters", async () => {
    const list = async (q = "") => ThreatListSchema.parse(await (await get(`/api/threats${q}`)).json()).threats;
    const all = await list();
    expect(all.map((t) => t.id)).toEqual(expect.arrayContaining(["2", "1"]));
    // The network was known (a stored device), so the devices first seen in this capture are news.
    expect(all.filter((t) => t.type === "new_device").map((t) => t.sourceMac)).toContain(OTHER_MAC);
    expect((await list("?severity=high")).map((t) => t.id)).toEqual(["1"]);
    expect((await list("?limit=1")).length).toBe(1);
    const res = await post("/api/threats/1/dismiss");
    expect(res.status).toBe(200);
    expect(ThreatSchema.parse(await res.json()).status).toBe("dismissed");
    expect((await list("?active_only=true")).map((t) => t.id)).not.toContain("1");
    expect((await list("?active_only=true")).map((t) => t.id)).toContain("2");
    expect((await list("?active_only=false")).length).toBe(all.length);
    await expectError(await post("/api/threats/404/dismiss"), 404, "not_found");
    await expectError(await get("/api/threats?severity=urgent"), 400, "invalid_request");
    await expectError(await get("/api/threats?active_only=maybe"), 400, "invalid_request");
    await expectError(await get("/api/threats?limit=5000"), 400, "invalid_request");
    await service.flush();
    expect(service.storage.threats.get("1")!.status).toBe("dismissed"); // the dismissal is stored
  });
});

describe("analytics", () => {
  test("analytics and protocols answer their schemas; bad hours are 400", async () => {
    const a = await get("/api/analytics?hours=24");
    expect(a.status).toBe(200);
    const body = AnalyticsSchema.parse(await a.json());
    expect(body.hours).toBe(24);
    expect(body.totals.flows).toBeGreaterThanOrEqual(4);
    expect(body.totals.bytes).toBeGreaterThan(0);
    expect(body.throughput.length).toBeGreaterThan(0);
    const p = await get("/api/protocols");
    expect(p.status).toBe(200);
    const protocols = ProtocolsSchema.parse(await p.json());
    expect(protocols.services.reduce((n, s) => n + s.flows, 0)).toBeGreaterThan(0);
    expect(ProtocolsSchema.parse(await (await get("/api/protocols?hours=6")).json()).hours).toBe(6);
    for (const q of ["hours=0", "hours=-1", "hours=abc", "hours=100000"]) {
      await expectError(await get(`/api/analytics?${q}`), 400, "invalid_request");
    }
    await expectError(await get("/api/protocols?hours=0"), 400, "invalid_request");
  });
});

describe("capture control", () => {
  test("status after a file feed; stop when stopped is 409", async () => {
    const s = CaptureStatusSchema.parse(await (await get("/api/capture/status")).json());
    expect(s).toMatchObject({ running: false, mode: "file", file: capture, packets: 12, error: null });
    await expectError(await post("/api/capture/stop"), 409, "conflict");
  });

  test("start while running is 409, stop stops it", async () => {
    const slow = writeSampleCapture(path.join(dir, "slow.pcap"), 3600); // an hour at real time
    await service.feedFile(slow, 1);
    const running = CaptureStatusSchema.parse(await (await get("/api/capture/status")).json());
    expect(running).toMatchObject({ running: true, mode: "file", file: slow });
    await expectError(await post("/api/capture/start"), 409, "conflict");
    const emptyJson = await app.request("/api/capture/start", { method: "POST", headers: { ...auth, "content-type": "application/json", "content-length": "0" } });
    await expectError(emptyJson, 409, "conflict"); // an empty JSON body is no options, not bad JSON
    const stopped = await post("/api/capture/stop");
    expect(stopped.status).toBe(200);
    expect(CaptureStatusSchema.parse(await stopped.json()).running).toBe(false);
    await expectError(await post("/api/capture/stop"), 409, "conflict");
  });

  test("start on an unknown interface says which exist; bad bodies are 400, big ones 413", async () => {
    const res = await post("/api/capture/start", { interface: "ni-nosuch0" });
    expect([400, 503]).toContain(res.status);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("ni-nosuch0");
    const status = CaptureStatusSchema.parse(await (await get("/api/capture/status")).json());
    expect(status.running).toBe(false);
    expect(status.error).toContain("ni-nosuch0");
    await expectError(await post("/api/capture/start", { iface: "eth0" }), 400, "invalid_request");
    await expectError(await post("/api/capture/start", "{not json"), 400, "invalid_request");
    await expectError(await post("/api/capture/start", { filter: "x".repeat(MAX_BODY_BYTES) }), 413, "payload_too_large");
  });

  test("a refused start leaves the status describing the capture that ran, not the refused filter", async () => {
    const before = CaptureStatusSchema.parse(await (await get("/api/capture/status")).json());
    const res = await post("/api/capture/start", { interface: "ni-nosuch1", filter: "tcp port (( nonsense" });
    expect([400, 503]).toContain(res.status);
    const after = CaptureStatusSchema.parse(await (await get("/api/capture/status")).json());
    expect(after.filter).toBe(before.filter);
    expect(after.interface).toBe(before.interface);
    expect(after.mode).toBe(before.mode);
    expect(after.running).toBe(false);
    expect(after.error).toContain("ni-nosuch1");
  });

  test("a capture file with a filter that does not compile is refused; the status keeps its old filter", async () => {
    const res = service.capture.startFile(capture, 0, "tcp port (( nonsense");
    await expect(res).rejects.toThrow();
    const status = service.capture.status();
    expect(status.filter).not.toBe("tcp port (( nonsense");
    expect(status.running).toBe(false);
    expect(status.error).toBeTruthy();
  });
});

describe("documents and errors", () => {
  test("/openapi.json lists every route with its schemas", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, object>; components: { schemas: Record<string, object> } };
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/", "/api/analytics", "/api/capture/start", "/api/capture/status", "/api/capture/stop", "/api/devices",
      "/api/devices/{device_id}", "/api/devices/{device_id}/applications", "/api/devices/{device_id}/destinations",
      "/api/devices/{device_id}/flows", "/api/devices/{device_id}/pcap", "/api/devices/{device_id}/timeline", "/api/flows", "/api/flows/{flow_id}",
      "/api/flows/{flow_id}/pcap", "/api/health", "/api/notifications", "/api/notifications/test", "/api/protocols", "/api/threats", "/api/threats/{threat_id}/dismiss", "/api/threats/{threat_id}/pcap",
    ]);
    for (const name of ["Flow", "Device", "Threat", "CaptureStatus", "Health", "ServiceInfo", "Analytics", "Protocols", "Error"]) {
      expect(doc.components.schemas[name]).toBeDefined();
    }
  });

  test("Swagger UI and ReDoc are served with their assets from the executable", async () => {
    const docs = await (await app.request("/docs")).text();
    expect(docs).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(docs).not.toMatch(/https?:\/\//);
    const redoc = await (await app.request("/redoc")).text();
    expect(redoc).toContain("/docs/assets/redoc.standalone.js");
    for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"]) {
      const res = await app.request(`/docs/assets/${asset}`);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    await expectError(await app.request("/docs/assets/nope.js"), 404, "not_found");
  });

  test("unknown routes are 404 and failures 500, both in the error shape", async () => {
    await expectError(await get("/api/nothing"), 404, "not_found");
    await expectError(await get("/nothing"), 404, "not_found");
    const broken: ServiceContext = { ...ctx, flows: { ...ctx.flows, list: () => { throw new Error("disk on fire at /secret/path.ts:12"); } } };
    const origError = console.error;
    console.error = () => {};
    try {
      const body = await expectError(await createApp(broken, { token: TOKEN }).request("/api/flows", { headers: auth }), 500, "internal_error");
      expect(JSON.stringify(body)).not.toContain("secret");
    } finally {
      console.error = origError;
    }
  });

  test("CORS follows ALLOWED_ORIGINS", async () => {
    const corsApp = createApp(ctx, { token: TOKEN, allowedOrigins: ["http://pi.local:8000"] });
    const pre = await corsApp.request("/api/flows", {
      method: "OPTIONS", headers: { origin: "http://pi.local:8000", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://pi.local:8000");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const other = await corsApp.request("/api/health", { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const none = await app.request("/api/health", { headers: { origin: "http://pi.local:8000" } });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
    const any = createApp(ctx, { token: TOKEN, allowedOrigins: ["*"] });
    expect((await any.request("/api/health", { headers: { origin: "http://x.example" } })).headers.get("access-control-allow-origin")).toBe("*");
  });
});
