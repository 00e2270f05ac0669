/**
 * The live WebSocket feed: auth, topics, coalescing and backpressure against a real Bun.serve with the
 * hub and a LiveBus the test drives; then against `serve --read` replaying a corpus capture, when present.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LiveBus } from "../src/service/bus.ts";
import { captureState, deviceRecord, flowRecord, liveStats, threatRecord } from "./support/records.ts";
import { createLiveHub, type LiveHub } from "../src/ws/hub.ts";
import { LIVE_TOPICS, ServerMessageSchema, type ServerMessage } from "../src/ws/messages.ts";

const REPO = path.resolve(import.meta.dir, "..");
const PCAPS = path.resolve(REPO, "../shared/pcaps");
const BUN = process.execPath;
const TOKEN = "ws-test-token-8f3a";

/** A WebSocket client that validates every message against the documented schemas. */
class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly invalid: unknown[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];

  constructor(url: string, init?: ConstructorParameters<typeof WebSocket>[1]) {
    this.ws = new WebSocket(url, init);
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("error", () => reject(new Error("websocket error before open")));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    this.ws.addEventListener("message", (e) => {
      const parsed = ServerMessageSchema.safeParse(JSON.parse(String(e.data)));
      if (parsed.success) this.messages.push(parsed.data);
      else this.invalid.push({ data: String(e.data).slice(0, 300), issues: parsed.error.issues.slice(0, 3) });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  of<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }

  /** Resolves with the first message (already received or future) that matches. */
  async next<T extends ServerMessage["type"]>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.of(type).find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${type} message within ${timeoutMs} ms; got ${this.messages.map((m) => m.type).join(",")}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  send(obj: unknown): void {
    this.ws.send(JSON.stringify(obj));
  }

  /** A ping/pong round trip: everything the server sent before the pong has arrived afterwards. */
  async sync(): Promise<void> {
    const before = this.of("pong").length;
    this.send({ type: "ping" });
    await this.next("pong", () => this.of("pong").length > before);
  }
}

// The bus carries domain records (epoch seconds); the hub sends the API's shapes (ISO-8601).
const flow = (id: string, bytesSent: number, status: "active" | "closed" = "active") =>
  flowRecord({ id, srcPort: 40000 + Number(id), bytesSent, status });
const threat = (id: string, status: "active" | "dismissed" = "active") => threatRecord({ id, status });
const stats = (n: number) => liveStats({
  time: 1_790_000_000 + n, packetsPerSecond: 100 + n, bytesPerSecond: 15000, activeFlows: 3, devices: 2, drops: 0,
  packets: 1000 * n, bytes: 150000 * n,
});
const statsMessage = (n: number) => ({ ...stats(n), time: new Date((1_790_000_000 + n) * 1000).toISOString() });

describe("live hub in-process", () => {
  const COALESCE_MS = 200;
  let bus: LiveBus;
  let hub: LiveHub;
  let server: ReturnType<typeof Bun.serve>;
  let wsUrl: string;
  const clients: TestClient[] = [];
  const connect = (query = `token=${TOKEN}`, init?: ConstructorParameters<typeof WebSocket>[1]) => {
    const c = new TestClient(`${wsUrl}?${query}`, init);
    clients.push(c);
    return c;
  };

  beforeAll(() => {
    bus = new LiveBus();
    hub = createLiveHub({ bus, checkToken: (t) => t === TOKEN, coalesceMs: COALESCE_MS });
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, srv) => (new URL(req.url).pathname === "/ws" ? hub.upgrade(req, srv) : new Response("not found", { status: 404 })),
      websocket: hub.websocket,
    });
    wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  });

  afterAll(() => {
    for (const c of clients) c.ws.close();
    hub.close();
    server.stop(true);
    for (const c of clients) expect(c.invalid).toEqual([]);
  });

  test("a wrong or missing token gets a 401 without detail, and no socket", async () => {
    const http = `http://127.0.0.1:${server.port}/ws`;
    for (const url of [http, `${http}?token=nope`]) {
      const res = await fetch(url, { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "missing or invalid token", details: { scheme: "Bearer" } } });
    }
    const bad = connect("token=wrong");
    expect(bad.opened).rejects.toThrow();
    await bad.closed;
    expect(bad.messages).toEqual([]);
  });

  test("a plain GET with a good token is told to upgrade", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/ws?token=${TOKEN}`);
    expect(res.status).toBe(426);
  });

  test("hello lists every topic by default; header and subprotocol tokens work too", async () => {
    const c = connect();
    const hello = await c.next("hello");
    expect(hello.topics).toEqual([...LIVE_TOPICS]);
    expect(hello.version).toMatch(/^\d+\.\d+\.\d+/);

    const byHeader = connect("", { headers: { authorization: `Bearer ${TOKEN}` } } as never);
    await byHeader.next("hello");
    const byProtocol = connect("", ["bearer", TOKEN] as never);
    await byProtocol.next("hello");
    expect(byProtocol.ws.protocol).toBe("bearer");
    expect(hub.clientCount()).toBeGreaterThanOrEqual(3);
  });

  test("stats are forwarded as published, one message each", async () => {
    const c = connect();
    await c.next("hello");
    for (let i = 1; i <= 3; i++) bus.publish({ type: "stats", data: stats(i) });
    await c.sync();
    expect(c.of("stats").map(({ type, ...rest }) => rest)).toEqual([statsMessage(1), statsMessage(2), statsMessage(3)]);
  });

  test("subscribe narrows to the named topics; unsubscribe removes; others still get everything", async () => {
    const narrow = connect();
    const wide = connect();
    await narrow.next("hello");
    await wide.next("hello");
    narrow.send({ subscribe: ["threat"] });
    expect((await narrow.next("subscribed")).topics).toEqual(["threat"]);

    bus.publish({ type: "stats", data: stats(7) });
    bus.publish({ type: "capture", event: "started", data: captureState({ running: true, mode: "file" }) });
    bus.publish({ type: "threat", event: "new", data: threat("t1") });
    await narrow.next("threat");
    await wide.next("threat");
    await narrow.sync();
    await wide.sync();
    expect(narrow.of("stats")).toEqual([]);
    expect(narrow.of("capture")).toEqual([]);
    expect(wide.of("stats").length).toBe(1);
    expect(wide.of("capture")[0]).toMatchObject({ event: "started", status: { running: true } });

    narrow.send({ subscribe: ["stats"] });
    expect((await narrow.next("subscribed", (m) => m.topics.length === 2)).topics).toEqual(["stats", "threat"]);
    narrow.send({ unsubscribe: ["threat", "stats"] });
    expect((await narrow.next("subscribed", (m) => m.topics.length === 0)).topics).toEqual([]);
    bus.publish({ type: "stats", data: stats(8) });
    await wide.next("stats", (m) => m.packetsPerSecond === 108);
    await narrow.sync();
    expect(narrow.of("stats")).toEqual([]);
  });

  test("?topics= picks the topics at connect time", async () => {
    const c = connect(`token=${TOKEN}&topics=stats,capture,bogus`);
    expect((await c.next("hello")).topics).toEqual(["stats", "capture"]);
  });

  test("flow events within one window are merged by id into one batch per event", async () => {
    const c = connect(`token=${TOKEN}&topics=flow`);
    await c.next("hello");
    bus.publish({ type: "flow", event: "new", data: flow("1", 100) });
    for (let i = 1; i <= 20; i++) bus.publish({ type: "flow", event: "updated", data: flow("1", 100 + i) });
    bus.publish({ type: "flow", event: "new", data: flow("2", 50) });
    bus.publish({ type: "flow", event: "updated", data: flow("2", 60) });
    bus.publish({ type: "flow", event: "closed", data: flow("2", 70, "closed") });
    bus.publish({ type: "flow", event: "updated", data: flow("3", 5) });
    await c.next("flow", (m) => m.event === "closed");
    await Bun.sleep(COALESCE_MS * 2);
    await c.sync();

    const batches = c.of("flow").map((m) => ({ event: m.event, flows: m.flows.map((f) => [f.id, f.bytesSent]) }));
    expect(batches).toEqual([
      { event: "new", flows: [["1", 120]] },
      { event: "updated", flows: [["3", 5]] },
      { event: "closed", flows: [["2", 70]] },
    ]);
  });

  test("device and threat events are coalesced too: new then dismissed arrives as dismissed", async () => {
    const c = connect(`token=${TOKEN}&topics=device,threat`);
    await c.next("hello");
    const device = deviceRecord({ id: "a4c3f0123456", ips: ["10.213.0.2"], vendor: { value: "Apple, Inc.", confidence: 0.9 }, name: { value: "phone", confidence: 0.5 }, type: { value: "phone", confidence: 0.5 } });
    bus.publish({ type: "device", event: "new", data: device });
    bus.publish({ type: "device", event: "updated", data: { ...device, ips: ["10.213.0.2", "fd00:213::2"] } });
    bus.publish({ type: "threat", event: "new", data: threat("t9") });
    bus.publish({ type: "threat", event: "dismissed", data: threat("t9", "dismissed") });
    const d = await c.next("device");
    const t = await c.next("threat");
    await c.sync();
    expect(c.of("device").length).toBe(1);
    expect(d.event).toBe("new");
    expect(d.device.ips).toEqual(["10.213.0.2", "fd00:213::2"]);
    expect(c.of("threat").length).toBe(1);
    expect(t).toMatchObject({ event: "dismissed", threat: { id: "t9", status: "dismissed" } });
  });

  test("bad client messages get an error and the connection stays open", async () => {
    const c = connect(`token=${TOKEN}&topics=stats`);
    await c.next("hello");
    c.ws.send("not json");
    c.send({ subscribe: ["nonsense"] });
    await c.next("error", () => c.of("error").length === 2);
    expect(c.of("error").map((e) => e.error.code)).toEqual(["bad_request", "bad_request"]);
    bus.publish({ type: "stats", data: stats(42) });
    await c.next("stats", (m) => m.packetsPerSecond === 142);
  });
});

/** The server runs in its own process so its RSS is the hub's alone; it prints one JSON status line per tick. */
const STALL_SERVER = `
import { LiveBus } from ${JSON.stringify(path.join(REPO, "src/service/bus.ts"))};
import { createLiveHub } from ${JSON.stringify(path.join(REPO, "src/ws/hub.ts"))};
const bus = new LiveBus();
const hub = createLiveHub({ bus, checkToken: (t) => t === ${JSON.stringify(TOKEN)}, maxBufferedBytes: 1 << 20, stallCloseMs: 3000 });
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, websocket: hub.websocket,
  fetch: (req, srv) => hub.upgrade(req, srv) });
const note = "n".repeat(2000);
let id = 0, bytes = 0, flooding = false, tick = 0;
setInterval(() => {
  if (!flooding) return;
  for (let i = 0; i < 100; i++) {
    const f = { id: String(id++), protocol: "TCP", ipProtocol: 6, ipVersion: 4, srcIp: "10.213.0.2", srcPort: 1, dstIp: "10.213.0.1", dstPort: 2,
      srcMac: null, dstMac: null, vlan: 0, packetsSent: 1, bytesSent: id, packetsReceived: 0, bytesReceived: 0, startTime: 1790000000,
      lastSeen: 1790000000, status: "active", tcpState: null, tcpFlags: "S", service: null, serviceBy: null, hostname: note,
      application: null, category: null, srcDeviceId: null, dstDeviceId: null };
    bus.publish({ type: "flow", event: "new", data: f });
    bytes += 2200;
  }
}, 10);
setInterval(() => {
  tick++;
  // The flood's messages are garbage once sent (or dropped): collected here, so the RSS read below is
  // what the hub keeps, not how far the heap ran ahead of its collector on a busy machine.
  Bun.gc(true);
  bus.publish({ type: "stats", data: { time: Date.now() / 1000, packetsPerSecond: tick, bytesPerSecond: 0, activeFlows: 0, devices: 0, drops: 0, packets: 0, bytes: 0 } });
  console.log(JSON.stringify({ port: server.port, rss: process.memoryUsage().rss, clients: hub.clientCount(), bytes }));
}, 250);
process.stdin.on("data", (d) => { flooding = String(d).includes("flood"); });
`;

/** A client in its own process, so SIGSTOP makes it stop reading entirely (the kernel buffers fill, then the server's). */
const STALL_CLIENT = `
const ws = new WebSocket(process.argv[2]);
ws.onmessage = () => {};
ws.onopen = () => console.log("open");
ws.onclose = (e) => { console.log(JSON.stringify({ closed: e.code, reason: e.reason })); process.exit(0); };
`;

describe("a stalled client", () => {
  test("does not grow server memory with what it cannot take, and is closed with 1008", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-ws-stall-"));
    writeFileSync(path.join(dir, "server.ts"), STALL_SERVER);
    writeFileSync(path.join(dir, "client.ts"), STALL_CLIENT);
    const srv = Bun.spawn([BUN, path.join(dir, "server.ts")], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const status: Array<{ port: number; rss: number; clients: number; bytes: number }> = [];
    (async () => {
      let buf = "";
      const reader = srv.stdout.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          status.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
      }
    })();
    let stalled: ReturnType<typeof Bun.spawn> | undefined;
    let healthy: TestClient | undefined;
    try {
      while (status.length === 0) await Bun.sleep(50);
      const url = `ws://127.0.0.1:${status[0]!.port}/ws?token=${TOKEN}`;
      stalled = Bun.spawn([BUN, path.join(dir, "client.ts"), url], { stdout: "pipe", stderr: "inherit" });
      healthy = new TestClient(`${url}&topics=stats`);
      await healthy.next("hello");
      while (status.at(-1)!.clients < 2) await Bun.sleep(50);
      await Bun.sleep(500);
      stalled.kill("SIGSTOP");
      const baseline = status.at(-1)!;
      srv.stdin.write("flood\n");
      srv.stdin.flush();

      // Flood for 8 s: the stalled client hits the limit after ~1 s, is over it for 3 s, then closed.
      const statsBefore = healthy.of("stats").length;
      await Bun.sleep(8000);
      srv.stdin.write("stop\n");
      srv.stdin.flush();
      const during = status.filter((s) => s.bytes > 0);
      const peakRss = Math.max(...during.map((s) => s.rss));
      const sent = during.at(-1)!.bytes;
      const growthMb = (peakRss - baseline.rss) / 2 ** 20;
      console.log(`stalled client: ${(sent / 2 ** 20).toFixed(0)} MB published, server RSS ${(baseline.rss / 2 ** 20).toFixed(0)} -> peak ${(peakRss / 2 ** 20).toFixed(0)} MB (+${growthMb.toFixed(1)} MB)`);

      expect(sent).toBeGreaterThan(100 * 2 ** 20);
      expect(growthMb).toBeLessThan(48);
      expect(status.at(-1)!.clients).toBe(1); // the stalled one was dropped, the healthy one kept
      expect(healthy.of("stats").length - statsBefore).toBeGreaterThanOrEqual(8 * 2);

      stalled.kill("SIGCONT");
      const out = await new Response(stalled.stdout as ReadableStream).text();
      const closeLine = out.split("\n").find((l) => l.startsWith("{"));
      expect(closeLine && JSON.parse(closeLine)).toEqual({ closed: 1008, reason: "client too slow" });
      expect(healthy.invalid).toEqual([]);
    } finally {
      healthy?.ws.close();
      stalled?.kill("SIGCONT");
      stalled?.kill();
      srv.kill();
      await srv.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

const SERVE_CLI = path.join(REPO, "src/cli/serve.ts");
/** A SYN scan from a LAN host: devices (both ends' MACs) and a port-scan threat over 23 s of capture. */
const REPLAY = path.join(PCAPS, "scan/ndpi_synscan.pcap");
const REPLAY_SPEED = 2;
const WATCH_SECONDS = 8;
if (!existsSync(REPLAY)) console.log(`skipping serve --read WebSocket test: corpus not found at ${PCAPS}`);
else if (!existsSync(SERVE_CLI)) console.log("skipping serve --read WebSocket test: src/cli/serve.ts not there yet");

describe.skipIf(!existsSync(SERVE_CLI) || !existsSync(REPLAY))("/ws on serve --read", () => {
  test(`stats every second, and the capture's devices, threats and flows, over ${WATCH_SECONDS} s`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ni-ws-serve-"));
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    const proc = Bun.spawn(
      [BUN, "src/main.ts", "serve", "--read", REPLAY, "--speed", String(REPLAY_SPEED), "--port", String(port)],
      { cwd: REPO, env: { ...process.env, HOST: "127.0.0.1", API_TOKEN: TOKEN, DATABASE_PATH: path.join(dir, "ni.db") }, stdout: "ignore", stderr: "inherit" },
    );
    let client: TestClient | undefined;
    try {
      for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false)); i++) {
        if (i > 150 || proc.exitCode !== null) throw new Error("serve did not come up");
        await Bun.sleep(100);
      }
      const denied = await fetch(`http://127.0.0.1:${port}/ws?token=wrong`, { headers: { upgrade: "websocket" } });
      expect(denied.status).toBe(401);

      client = new TestClient(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
      await client.next("hello");
      await Bun.sleep(WATCH_SECONDS * 1000 + 300);

      const stats = client.of("stats");
      const times = stats.map((s) => Date.parse(s.time));
      console.log(`serve --read: ${stats.length} stats, ${client.of("flow").length} flow batches (${client.of("flow").reduce((n, m) => n + m.flows.length, 0)} flows), ${client.of("device").length} device and ${client.of("threat").length} threat messages in ${WATCH_SECONDS} s`);
      expect(stats.length).toBeGreaterThanOrEqual(WATCH_SECONDS - 1);
      expect(stats.length).toBeLessThanOrEqual(WATCH_SECONDS + 1);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(stats.some((s) => s.packetsPerSecond > 0)).toBe(true);
      expect(stats.at(-1)!.packets).toBeGreaterThan(0);
      expect(client.of("flow").length).toBeGreaterThan(0);
      expect(client.of("device").length).toBeGreaterThan(0);
      expect(client.of("threat").length).toBeGreaterThan(0);
      expect(client.invalid).toEqual([]);
    } finally {
      client?.ws.close();
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
