/**
 * The live view end to end in headless Chromium (playwright-core, Debian's `chromium`): token prompt,
 * chart and lists filling while a capture replays through `serve --read`, dismissing a threat.
 * Without the serve command (or the corpus) it runs against a stand-in: the real hub and page behind
 * a small Hono app with the same routes, fed by a synthetic event stream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import type { BrowserContext, Page } from "playwright-core";
import { toApiCaptureStatus, toApiDevice, toApiFlow, toApiThreat } from "../src/api/convert.ts";
import type { EditedDevice } from "../src/devices/edit.ts";
import type { DeviceType } from "../src/devices/model.ts";
import type { FlowRecord } from "../src/flows/record.ts";
import { LiveBus } from "../src/service/bus.ts";
import type { ThreatWithDismissal } from "../src/threats/dismissal.ts";
import type { Severity } from "../src/threats/model.ts";
import { webAssetRoutes } from "../src/web/assets.ts";
import { createLiveHub } from "../src/ws/hub.ts";
import { freePort } from "./support/net.ts";
import { captureState, deviceRecord, flowRecord, threatRecord } from "./support/records.ts";

const REPO = path.resolve(import.meta.dir, "..");
const CHROMIUM = "/usr/bin/chromium";
const PCAPS = path.resolve(REPO, "../shared/pcaps");
/** A port scan (threat) between two hosts (devices); 23 s at real time, so it is still running when the test stops it. */
const REPLAY = path.join(PCAPS, "scan/ndpi_synscan.pcap");
const REPLAY_SPEED = "1";
const ARTIFACTS = path.join(REPO, "test-artifacts");
const TOKEN = "e2e-token-5c1d9e";
/** Seconds of chart in the screenshot. */
const SCREENSHOT_POINTS = 8;
const useServe = existsSync(path.join(REPO, "src/cli/serve.ts")) && existsSync(REPLAY);

interface Target {
  base: string;
  stop(): Promise<void>;
}


/** `netinsight serve --read` replaying a corpus capture, on a fresh database. */
async function startServe(): Promise<Target> {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-e2e-"));
  const port = await freePort();
  const proc = Bun.spawn(
    [process.execPath, "src/main.ts", "serve", "--read", REPLAY, "--speed", REPLAY_SPEED, "--port", String(port), "--host", "127.0.0.1"],
    { cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN, DATABASE_PATH: path.join(dir, "ni.db") }, stdout: "inherit", stderr: "inherit" },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/api/health`).then((r) => r.ok, () => false)) break;
    if (i > 100 || proc.exitCode !== null) throw new Error("serve did not start");
    await Bun.sleep(100);
  }
  return {
    base,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The stand-in: real hub and page, a minimal REST API with the same routes, synthetic traffic. */
function startStandIn(): Target {
  const bus = new LiveBus();
  const hub = createLiveHub({ bus, checkToken: (t) => t === TOKEN });
  const now = () => Date.now() / 1000;
  const devices = new Map<string, EditedDevice>();
  const threats = new Map<string, ThreatWithDismissal>();
  const flows: FlowRecord[] = [];
  let capture = captureState({ running: true, mode: "file", file: "/captures/synthetic.pcap", since: now() });

  const app = new Hono();
  webAssetRoutes(app);
  app.get("/", (c) => c.json({ name: "NetInsight" }));
  app.get("/api/health", (c) => c.json({ status: "ok" }));
  app.use("/api/*", async (c, next) => (c.req.header("authorization") === `Bearer ${TOKEN}` ? next() : c.json({ error: { code: "unauthorized", message: "missing or invalid token" } }, 401)));
  app.get("/api/capture/status", (c) => c.json(toApiCaptureStatus(capture)));
  app.post("/api/capture/:action{start|stop}", (c) => {
    const start = c.req.param("action") === "start";
    if (capture.running === start) return c.json({ error: { code: "conflict", message: `capture already ${start ? "running" : "stopped"}` } }, 409);
    capture = { ...capture, running: start };
    bus.publish({ type: "capture", event: start ? "started" : "stopped", data: capture });
    return c.json(toApiCaptureStatus(capture));
  });
  app.get("/api/devices", (c) => c.json({ devices: [...devices.values()].map(toApiDevice), count: devices.size }));
  app.get("/api/threats", (c) => {
    const list = [...threats.values()].filter((t) => c.req.query("active_only") !== "true" || t.status === "active");
    return c.json({ threats: list.map(toApiThreat), count: list.length });
  });
  app.post("/api/threats/:id/dismiss", (c) => {
    const t = threats.get(c.req.param("id"));
    if (!t) return c.json({ error: { code: "not_found", message: "no such threat" } }, 404);
    t.status = "dismissed";
    bus.publish({ type: "threat", event: "dismissed", data: t });
    return c.json(toApiThreat(t));
  });
  app.get("/api/flows", (c) => c.json({ flows: flows.slice(-50).map(toApiFlow), limit: 50, offset: 0, count: Math.min(50, flows.length) }));
  app.get("/api/analytics", (c) => {
    const talkers = [...devices.values()].map((d, i) => ({ deviceId: d.id, ip: d.ips[0], name: d.name.value, bytesSent: 90000 * (i + 1), bytesReceived: 400000 / (i + 1), flows: 10 + i }));
    return c.json({ hours: 1, topTalkers: talkers });
  });

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => (new URL(req.url).pathname === "/ws" ? hub.upgrade(req, srv) : app.fetch(req)),
    websocket: hub.websocket,
  });

  const label = (value: string, confidence = 0.8) => ({ value, confidence });
  const addDevice = (id: string, ip: string, name: string, vendor: string, type: DeviceType) => {
    const d = deviceRecord({ id, ips: [ip], vendor: label(vendor), hostname: name, name: label(name), type: { value: type, confidence: 0.8 }, os: label(""), isGateway: type === "router", firstSeen: now(), lastSeen: now() });
    devices.set(id, d);
    bus.publish({ type: "device", event: "new", data: d });
  };
  const addThreat = (id: string, severity: Severity, title: string) => {
    const t = threatRecord({ id, type: "port_scan", severity, title, description: `${title}: 120 ports within 60 s`, sourceIp: "10.213.0.66", targetIp: "10.213.0.10", firstSeen: now(), lastSeen: now() });
    threats.set(id, t);
    bus.publish({ type: "threat", event: "new", data: t });
  };
  let tick = 0;
  let flowId = 0;
  const timer = setInterval(() => {
    tick++;
    if (tick === 1) {
      addDevice("b827ebaabbcc", "10.213.0.1", "raspberrypi", "Raspberry Pi Trading Ltd", "router");
      addDevice("a4c3f0123456", "10.213.0.23", "Annas-iPhone", "Apple, Inc.", "phone");
    }
    if (tick === 2) addThreat("port_scan-10.213.0.66", "high", "Port scan from 10.213.0.66");
    if (tick === 3) addThreat("new_device-a4c3f0123456", "low", "New device Annas-iPhone");
    for (let i = 0; i < 3; i++) {
      const f = flowRecord({ id: String(++flowId), srcIp: "10.213.0.23", srcPort: 50000 + flowId, dstIp: "10.213.0.1", dstPort: 443, bytesSent: 1200 * flowId, bytesReceived: 9000, status: flowId % 4 ? "active" : "closed", tcpState: "established", service: "TLS", hostname: "example.test", startTime: now(), lastSeen: now() });
      flows.push(f);
      bus.publish({ type: "flow", event: "new", data: f });
    }
    const pps = 200 + 150 * Math.sin(tick / 3);
    capture = { ...capture, packets: capture.packets + Math.round(pps), packetsPerSecond: pps, bytesPerSecond: pps * 700 };
    bus.publish({ type: "stats", data: { time: now(), packetsPerSecond: pps, bytesPerSecond: pps * 700, activeFlows: flows.length, devices: devices.size, drops: 0, packets: capture.packets, bytes: capture.packets * 700 } });
  }, 1000);

  return {
    base: `http://127.0.0.1:${server.port}`,
    async stop() {
      clearInterval(timer);
      hub.close();
      server.stop(true);
    },
  };
}

if (!existsSync(CHROMIUM)) console.log(`skipping the live view browser test: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!existsSync(CHROMIUM))("live view in headless Chromium", () => {
  let target: Target;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    console.log(useServe ? `e2e against serve --read ${path.relative(PCAPS, REPLAY)} --speed ${REPLAY_SPEED}` : "e2e against the stand-in server (no src/cli/serve.ts or corpus)");
    target = useServe ? await startServe() : startStandIn();
    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(path.join(tmpdir(), "ni-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await target?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test("GET / gives browsers the page and JSON clients the service info", async () => {
    const html = await fetch(`${target.base}/`, { headers: { accept: "text/html,*/*;q=0.8" } });
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(await html.text()).toContain("/assets/uPlot.iife.min.js");
    const json = await fetch(`${target.base}/`, { headers: { accept: "application/json" } });
    expect((await json.json()).name).toBe("NetInsight");
  });

  test("asks for the token, asks again when it is wrong, then goes live", async () => {
    await page.goto(`${target.base}/`);
    await page.locator("#token-dialog[open]").waitFor();
    await page.fill("#token-input", "not-the-token");
    await page.click("#token-save");
    await page.locator("#token-message.error").waitFor();
    expect(await page.isVisible("#token-dialog")).toBe(true);
    await page.fill("#token-input", TOKEN);
    await page.click("#token-save");
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => localStorage.getItem("netinsight.token"))).toBe(TOKEN);
  }, 20_000);

  test("the chart, devices, flows and threats fill while the capture replays", async () => {
    await page.waitForFunction(() => (window as unknown as { netinsight: { chartPoints(): number } }).netinsight.chartPoints() >= 3, null, { timeout: 20_000 });
    await page.locator("#device-list li").first().waitFor({ timeout: 20_000 });
    await page.locator("#flow-list tr").first().waitFor({ timeout: 20_000 });
    await page.locator("#threat-list li").first().waitFor({ timeout: 30_000 });
    // Top talkers come from storage rollups: expect rows whenever the API has some (the page refreshes every 10 s).
    const analytics = await fetch(`${target.base}/api/analytics?hours=1`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());
    console.log(`analytics topTalkers: ${analytics.topTalkers?.length ?? "none"}`);
    if (analytics.topTalkers?.length) await page.locator("#talker-list tr").first().waitFor({ timeout: 15_000 });
    await page.waitForFunction((n) => (window as unknown as { netinsight: { chartPoints(): number } }).netinsight.chartPoints() >= n, SCREENSHOT_POINTS, { timeout: 20_000 });
    expect(await page.textContent("#kpi-pps")).not.toBe("–");
    expect(await page.textContent("#capture-status")).toMatch(/capturing|stopped/);
    expect(await page.locator("#chart canvas").count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, "live-view.png"), fullPage: true });
  }, 60_000);

  test("dismissing a threat removes it, in the page and in the API", async () => {
    const first = page.locator("#threat-list li").first();
    const id = await first.getAttribute("data-id");
    expect(id).toBeTruthy();
    await first.locator("button.dismiss").click();
    await page.locator(`#threat-list li[data-id="${id}"]`).waitFor({ state: "detached" });
    const res = await fetch(`${target.base}/api/threats?active_only=true`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const active = (await res.json()).threats as Array<{ id: string }>;
    expect(active.map((t) => t.id)).not.toContain(id!);
  }, 20_000);

  test("Stop capture stops the replay and the status follows", async () => {
    await page.locator('#capture-status[data-running="true"]').waitFor({ timeout: 5_000 });
    expect(await page.textContent("#capture-toggle")).toBe("Stop capture");
    await page.click("#capture-toggle");
    await page.locator('#capture-status[data-running="false"]').waitFor({ timeout: 10_000 });
    expect(await page.textContent("#capture-toggle")).toBe("Start capture");
    const status = await fetch(`${target.base}/api/capture/status`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());
    expect(status.running).toBe(false);
  }, 20_000);

  test("the token is kept across reloads, and the page fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    expect(await page.isVisible("#token-dialog")).toBe(false);
    await page.locator("#device-list li").first().waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => (window as unknown as { netinsight: { chartPoints(): number } }).netinsight.chartPoints() >= 3, null, { timeout: 10_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(ARTIFACTS, "live-view-phone-dark.png"), fullPage: true });
  }, 30_000);
});
