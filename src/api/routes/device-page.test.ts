/**
 * The device page's routes and the list routes' search and sort, through `app.request` against a
 * real service (file database, so edits are checked across a restart).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NetInsightService, serviceContext } from "../../service/service.ts";
import { openStorage } from "../../storage/index.ts";
import { createApp } from "../app.ts";
import {
  DeviceApplicationsSchema, DeviceDestinationsSchema, DeviceListSchema, DeviceSchema, DeviceTimelineSchema, FlowListSchema, ThreatListSchema, ThreatSchema,
} from "../schemas.ts";
import { LAPTOP_IP, LAPTOP_MAC, writeSampleCapture } from "../testing.ts";
import type { Threat } from "../../threats/model.ts";

const TOKEN = "test-token-device-page-0123";
const auth = { authorization: `Bearer ${TOKEN}` };
const dir = mkdtempSync(path.join(tmpdir(), "ni-devpage-"));
const dbPath = path.join(dir, "ni.db");
const capture = writeSampleCapture(path.join(dir, "sample.pcap"));
const LAPTOP = LAPTOP_MAC.replaceAll(":", "");

let service: NetInsightService;
let app: ReturnType<typeof createApp>;

async function startService() {
  service = await NetInsightService.create({ storage: openStorage(dbPath), version: "9.9.9" });
  app = createApp(serviceContext(service), { token: TOKEN });
}

const get = (p: string) => app.request(p, { headers: auth });
const patch = (p: string, body: unknown) =>
  app.request(p, { method: "PATCH", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });

beforeAll(async () => {
  await startService();
  await service.feedFile(capture, 0);
  await service.capture.feedDone;
  await service.flush();
});

afterAll(async () => {
  await service.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("PATCH /api/devices/{device_id}", () => {
  test("names, types, annotates and marks a device known; the guess stays as the suggestion", async () => {
    const before = DeviceSchema.parse(await (await get(`/api/devices/${LAPTOP}`)).json());
    expect(before.known).toBe(false);
    expect(before.edited).toBeNull();
    const res = await patch(`/api/devices/${LAPTOP}`, { name: "Anna's laptop", type: "computer", notes: "work laptop", known: true });
    expect(res.status).toBe(200);
    const d = DeviceSchema.parse(await res.json());
    expect(d.name).toEqual({ value: "Anna's laptop", confidence: 1 });
    expect(d.type.value).toBe("computer");
    expect(d.notes).toBe("work laptop");
    expect(d.known).toBe(true);
    expect(d.suggested.name).toEqual(before.name);
    expect(d.edited?.name).toBe("Anna's laptop");
    // A partial patch keeps the rest.
    const d2 = DeviceSchema.parse(await (await patch(`/api/devices/${LAPTOP}`, { notes: "on the desk" })).json());
    expect(d2).toMatchObject({ notes: "on the desk", known: true, name: { value: "Anna's laptop" } });
  });

  test("fingerprinting the device again does not overwrite the user's name", async () => {
    await service.feedFile(capture, 0);
    await service.capture.feedDone;
    await service.flush();
    const d = DeviceSchema.parse(await (await get(`/api/devices/${LAPTOP}`)).json());
    expect(d.name.value).toBe("Anna's laptop");
    const list = DeviceListSchema.parse(await (await get("/api/devices")).json());
    expect(list.devices.find((x) => x.id === LAPTOP)?.name.value).toBe("Anna's laptop");
  });

  test("bad bodies are 400 naming the field; unknown devices 404", async () => {
    const bad = await patch(`/api/devices/${LAPTOP}`, { type: "toaster" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("type");
    const extra = await patch(`/api/devices/${LAPTOP}`, { colour: "red" });
    expect(extra.status).toBe(400);
    expect((await patch("/api/devices/000000000000", { name: "x" })).status).toBe(404);
  });

  test("the OpenAPI document lists the new routes with examples", async () => {
    const doc = await (await app.request("/openapi.json")).json();
    expect(doc.paths["/api/devices/{device_id}"].patch).toBeDefined();
    for (const p of ["flows", "applications", "destinations", "timeline"]) expect(doc.paths[`/api/devices/{device_id}/${p}`].get).toBeDefined();
    expect(doc.components.schemas.DevicePatch.example).toMatchObject({ name: "Anna's iPhone" });
  });
});

describe("a device's flows, applications, destinations and timeline", () => {
  test("flows: only the device's, newest first", async () => {
    const page = FlowListSchema.parse(await (await get(`/api/devices/${LAPTOP}/flows?limit=50`)).json());
    expect(page.flows.length).toBeGreaterThan(0);
    for (const f of page.flows) expect([f.srcDeviceId, f.dstDeviceId]).toContain(LAPTOP);
    const times = page.flows.map((f) => f.lastSeen);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await get("/api/devices/000000000000/flows")).status).toBe(404);
  });

  test("destinations: the peers the device talked to, from its side", async () => {
    const body = DeviceDestinationsSchema.parse(await (await get(`/api/devices/${LAPTOP}/destinations?hours=24`)).json());
    const hosts = body.destinations.map((d) => d.ip);
    expect(hosts).toContain("1.1.1.1");
    expect(hosts).toContain("9.9.9.9");
    const tls = body.destinations.find((d) => d.ip === "1.1.1.1")!;
    expect(tls.bytesSent).toBeGreaterThan(0);
    expect(tls.bytesReceived).toBeGreaterThan(0);
  });

  test("applications answer in shape (the sample has none named)", async () => {
    const body = DeviceApplicationsSchema.parse(await (await get(`/api/devices/${LAPTOP}/applications?hours=24`)).json());
    expect(body.deviceId).toBe(LAPTOP);
  });

  test("timeline: every bucket, the device's bytes in them", async () => {
    const body = DeviceTimelineSchema.parse(await (await get(`/api/devices/${LAPTOP}/timeline?hours=24`)).json());
    expect(body.points.length).toBeGreaterThan(10);
    expect(body.points.reduce((s, p) => s + p.bytesSent + p.bytesReceived, 0)).toBeGreaterThan(0);
    const week = DeviceTimelineSchema.parse(await (await get(`/api/devices/${LAPTOP}/timeline?hours=168`)).json());
    expect(week.stepSeconds).toBeGreaterThan(body.stepSeconds);
    expect((await get(`/api/devices/${LAPTOP}/timeline?hours=-1`)).status).toBe(400);
  });
});

describe("search and sort on the list routes", () => {
  test("devices: q by name, address and MAC; sort by name", async () => {
    const byName = DeviceListSchema.parse(await (await get("/api/devices?q=anna")).json());
    expect(byName.devices.map((d) => d.id)).toEqual([LAPTOP]);
    expect(DeviceListSchema.parse(await (await get(`/api/devices?q=${LAPTOP_IP}`)).json()).devices.map((d) => d.id)).toContain(LAPTOP);
    expect(DeviceListSchema.parse(await (await get(`/api/devices?q=${LAPTOP_MAC.slice(-5)}`)).json()).devices.map((d) => d.id)).toContain(LAPTOP);
    expect(DeviceListSchema.parse(await (await get("/api/devices?q=no-such-thing")).json()).count).toBe(0);
    const sorted = DeviceListSchema.parse(await (await get("/api/devices?sort=name")).json()).devices;
    expect(sorted.length).toBeGreaterThan(1);
    expect((await get("/api/devices?sort=colour")).status).toBe(400);
    expect(DeviceListSchema.parse(await (await get("/api/devices?known=true")).json()).devices.map((d) => d.id)).toEqual([LAPTOP]);
  });

  test("flows: q by address, service or port-less text; sort by bytes", async () => {
    const dns = FlowListSchema.parse(await (await get("/api/flows?q=8.8.8")).json());
    expect(dns.flows.length).toBeGreaterThan(0);
    for (const f of dns.flows) expect(`${f.srcIp} ${f.dstIp}`).toContain("8.8.8");
    const big = FlowListSchema.parse(await (await get("/api/flows?sort=bytes&limit=100")).json()).flows;
    const sizes = big.map((f) => f.bytesSent + f.bytesReceived);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    expect((await get("/api/flows?sort=size")).status).toBe(400);
  });
});

describe("threat history", () => {
  test("a dismissal records who and when; status and q filter; sort by severity", async () => {
    const raise = (title: string, severity: Threat["severity"], target: string) => service.pipeline.threats.raise({
      type: "port_scan", severity, title, description: "many ports", ts: Date.now() / 1000, sourceIp: "192.168.1.50", targetIp: target, evidence: {},
    })!;
    const low = raise("History scan low", "low", "192.168.1.77");
    const crit = raise("History scan critical", "critical", "192.168.1.78");
    service.pipeline.threats.flush();
    const res = await app.request(`/api/threats/${low.id}/dismiss`, {
      method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ by: "live view" }),
    });
    const d = ThreatSchema.parse(await res.json());
    expect(d.status).toBe("dismissed");
    expect(d.dismissedBy).toBe("live view");
    expect(Math.abs(Date.parse(d.dismissedAt!) - Date.now())).toBeLessThan(60_000);
    const dismissed = ThreatListSchema.parse(await (await get("/api/threats?status=dismissed&q=history")).json()).threats;
    expect(dismissed.map((x) => x.id)).toEqual([low.id]);
    expect(dismissed[0].dismissedBy).toBe("live view");
    const bySeverity = ThreatListSchema.parse(await (await get("/api/threats?q=history&sort=severity")).json()).threats;
    expect(bySeverity.map((x) => x.id)).toEqual([crit.id, low.id]);
    // Without a body: the client's address, or "api" when there is none (app.request has no socket).
    const res2 = await app.request(`/api/threats/${crit.id}/dismiss`, { method: "POST", headers: auth });
    expect(ThreatSchema.parse(await res2.json()).dismissedBy).toBe("api");
    const bad = await app.request(`/api/threats/${crit.id}/dismiss`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ by: 5 }) });
    expect(bad.status).toBe(400);
    expect(service.storage.dismissals.of(low.id).map((x) => x.by)).toEqual(["live view"]);
  });
});

describe("edits and dismissals persist across a restart", () => {
  test("the name, known flag and who dismissed what come back after the service restarts", async () => {
    await service.shutdown();
    await startService();
    const d = DeviceSchema.parse(await (await get(`/api/devices/${LAPTOP}`)).json());
    expect(d).toMatchObject({ name: { value: "Anna's laptop", confidence: 1 }, known: true, notes: "on the desk" });
    expect(service.storage.deviceEdits.isKnown(LAPTOP)).toBe(true);
    const dismissed = ThreatListSchema.parse(await (await get("/api/threats?status=dismissed&q=history")).json()).threats;
    expect(dismissed.map((t) => t.dismissedBy).sort()).toEqual(["api", "live view"]);
  });
});
