/**
 * End to end: `serve --read` as a real process on a free port, every endpoint over HTTP with the
 * token, SIGTERM (exit 0), then a restart on the same database that still serves the history.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Subprocess } from "bun";
import { writeSampleCapture } from "../src/api/testing.ts";
import { freePort } from "./support/net.ts";

const REPO = path.resolve(import.meta.dir, "..");
const PCAPS = path.resolve(REPO, "../shared/pcaps");
const CORPUS_CAPTURE = path.join(PCAPS, "dhcp/ndpi_1kxun.pcap");
const dir = mkdtempSync(path.join(tmpdir(), "ni-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  base: string;
  token: string;
  output: () => Promise<string>;
}

async function serve(db: string, args: string[]): Promise<Served> {
  const port = await freePort();
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  delete env.API_TOKEN;
  const proc = Bun.spawn([process.execPath, "src/main.ts", "serve", "--host", "127.0.0.1", "--port", String(port), "--database", db, ...args], {
    cwd: REPO, env, stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited early: ${await new Response(proc.stderr).text()}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("serve did not answer /api/health within 20 s");
    await Bun.sleep(100);
  }
  const token = (await Bun.file(`${db}.token`).text()).trim();
  return { proc, base, token, output: async () => (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text()) };
}

async function stop(s: Served): Promise<number> {
  s.proc.kill("SIGTERM");
  return await s.proc.exited;
}

const call = (s: Served, p: string, init: RequestInit = {}) =>
  fetch(`${s.base}${p}`, { ...init, headers: { authorization: `Bearer ${s.token}`, ...(init.headers ?? {}) } });
const json = async (s: Served, p: string, init?: RequestInit) => {
  const res = await call(s, p, init);
  return { status: res.status, body: (await res.json()) as any };
};

async function waitFed(s: Served): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await json(s, "/api/capture/status");
    if (!body.running && body.packets > 0) return body;
    if (Date.now() > deadline) throw new Error(`capture did not finish: ${JSON.stringify(body)}`);
    await Bun.sleep(100);
  }
}

/** Every endpoint once; returns the flows page for comparisons after a restart. */
async function exerciseEveryEndpoint(s: Served) {
  const root = await json(s, "/", { headers: { accept: "application/json" } });
  expect(root.status).toBe(200);
  expect(root.body.name).toBe("NetInsight");
  const health = await fetch(`${s.base}/api/health`);
  expect(health.status).toBe(200);
  expect(((await health.json()) as any).database.ok).toBe(true);
  expect((await fetch(`${s.base}/api/flows`)).status).toBe(401);
  expect((await fetch(`${s.base}/api/flows`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);

  const flows = await json(s, "/api/flows?limit=1000");
  expect(flows.status).toBe(200);
  expect(flows.body.flows.length).toBeGreaterThan(0);
  const first = flows.body.flows[0];
  expect((await json(s, `/api/flows/${first.id}`)).body.id).toBe(first.id);
  expect((await json(s, "/api/flows/99999999")).status).toBe(404);
  expect((await json(s, "/api/flows?limit=5000")).status).toBe(400);
  expect((await json(s, `/api/flows?protocol=${first.protocol}&limit=5`)).body.flows.every((f: any) => f.protocol === first.protocol)).toBe(true);

  const devices = await json(s, "/api/devices");
  expect(devices.status).toBe(200);
  if (devices.body.devices.length > 0) {
    expect((await json(s, `/api/devices/${devices.body.devices[0].id}`)).status).toBe(200);
  }
  expect((await json(s, "/api/devices/ffffffffffff")).status).toBe(404);

  const threats = await json(s, "/api/threats?active_only=true");
  expect(threats.status).toBe(200);
  expect((await json(s, "/api/threats/no-such-threat/dismiss", { method: "POST" })).status).toBe(404);

  expect((await json(s, "/api/analytics?hours=24")).body.hours).toBe(24);
  expect((await json(s, "/api/protocols")).status).toBe(200);
  expect((await json(s, "/api/capture/stop", { method: "POST" })).status).toBe(409);
  const start = await json(s, "/api/capture/start", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ interface: "ni-e2e-none0" }) });
  expect([400, 503]).toContain(start.status);
  expect(start.body.error.message).toContain("ni-e2e-none0");

  const doc = await (await fetch(`${s.base}/openapi.json`)).json() as any;
  expect(Object.keys(doc.paths)).toContain("/api/flows/{flow_id}");
  expect((await fetch(`${s.base}/docs`)).status).toBe(200);
  expect((await fetch(`${s.base}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  expect((await fetch(`${s.base}/redoc`)).status).toBe(200);
  return flows.body.flows as any[];
}

describe("serve --read on a capture this test writes", () => {
  // Default: the pipeline runs in a worker thread; --single-thread keeps it in the API's thread.
  test.each([["worker", []], ["single-thread", ["--single-thread"]]] as [string, string[]][])("%s: every endpoint, SIGTERM, restart keeps history and the flow ids continue", async (mode, extra) => {
    const capture = writeSampleCapture(path.join(dir, `sample-${mode}.pcap`));
    const db = path.join(dir, `own-${mode}.db`);
    const first = await serve(db, ["--read", capture, "--speed", "0", ...extra]);
    let firstFlows: any[];
    try {
      await waitFed(first);
      firstFlows = await exerciseEveryEndpoint(first);
      expect(firstFlows.length).toBe(4);

      // The WebSocket feed answers with the token and refuses without it.
      const ws = new WebSocket(`${first.base.replace("http", "ws")}/ws?token=${first.token}`);
      const hello = await new Promise<any>((resolve, reject) => {
        ws.onmessage = (e) => resolve(JSON.parse(String(e.data)));
        ws.onerror = () => reject(new Error("websocket failed"));
      });
      expect(hello.type).toBe("hello");
      ws.close();
      expect((await fetch(`${first.base}/ws`)).status).toBe(401);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(statSync(`${db}.token`).mode & 0o777).toBe(0o600);
    const out = await first.output();
    expect(out).toContain("API token (generated now, shown once)");

    // Restart without capture: the same history, the same token (read from the file, not printed).
    const second = await serve(db, ["--no-capture", ...extra]);
    try {
      expect(second.token).toBe(first.token);
      const again = (await json(second, "/api/flows?limit=1000")).body.flows as any[];
      expect(again.map((f) => f.id).sort()).toEqual(firstFlows.map((f) => f.id).sort());
      expect(again.every((f) => f.status === "closed")).toBe(true); // nothing is live after a restart
      const https = again.find((f) => f.dstPort === 443);
      expect(https).toMatchObject({ packetsSent: 5, packetsReceived: 3 });
      expect((await json(second, "/api/devices")).body.devices.length).toBeGreaterThan(0);
    } finally {
      expect(await stop(second)).toBe(0);
    }
    expect(await second.output()).not.toContain(first.token);

    // A third run feeding the capture again: new flow ids continue after the stored ones.
    const third = await serve(db, ["--read", capture, "--speed", "0", ...extra]);
    try {
      await waitFed(third);
      const all = (await json(third, "/api/flows?limit=1000")).body.flows as any[];
      expect(all.length).toBe(8);
      const maxFirst = Math.max(...firstFlows.map((f) => Number(f.id)));
      expect(all.filter((f) => Number(f.id) > maxFirst).length).toBe(4);
    } finally {
      expect(await stop(third)).toBe(0);
    }
  });

  test("bad settings and flags stop start-up with a clear message (exit 2)", async () => {
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const p = Bun.spawn([process.execPath, "src/main.ts", "serve", ...args], { cwd: REPO, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      const code = await p.exited;
      return { code, err: await new Response(p.stderr).text() };
    };
    const port = await run(["--port", "70000", "--database", path.join(dir, "x.db")]);
    expect(port.code).toBe(2);
    expect(port.err).toContain("PORT: must be a whole number from 1 to 65535");
    expect(port.err).not.toMatch(/\s+at\s/);
    const retention = await run(["--database", path.join(dir, "x.db")], { RETENTION_DAYS: "forever" });
    expect(retention.code).toBe(2);
    expect(retention.err).toContain("RETENTION_DAYS");
    const flag = await run(["--colour"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("--colour");
  });
});

describe.skipIf(!existsSync(CORPUS_CAPTURE))("serve --read on a corpus capture", () => {
  test("every endpoint over HTTP; a restart serves the same history", async () => {
    const db = path.join(dir, "corpus.db");
    const first = await serve(db, ["--read", CORPUS_CAPTURE, "--speed", "0"]);
    let before: any[];
    let devicesBefore: number;
    try {
      const status = await waitFed(first);
      expect(status).toMatchObject({ mode: "file", file: CORPUS_CAPTURE, packets: 1723, error: null });
      before = await exerciseEveryEndpoint(first);
      devicesBefore = (await json(first, "/api/devices")).body.devices.length;
      expect(devicesBefore).toBeGreaterThan(1);
      // The capture is from years ago: windows follow the file's clock, so "the last hour" is its last hour.
      // (The last minutes' rollups are written just after the feed ends: poll briefly.)
      let lastHour: any;
      for (let i = 0; i < 50; i++) {
        lastHour = (await json(first, "/api/analytics?hours=1")).body;
        if (lastHour.topTalkers.length > 0) break;
        await Bun.sleep(100);
      }
      expect(lastHour.topTalkers.length).toBeGreaterThan(0);
      expect(lastHour.totals.bytes).toBeGreaterThan(0);
      expect(Date.parse(lastHour.to)).toBeLessThan(Date.parse("2023-01-01"));
    } finally {
      expect(await stop(first)).toBe(0);
    }
    const second = await serve(db, ["--no-capture"]);
    try {
      const after = (await json(second, "/api/flows?limit=1000")).body.flows as any[];
      expect(after.map((f) => f.id).sort()).toEqual(before.map((f) => f.id).sort());
      const sum = (fs: any[]) => fs.reduce((n, f) => n + f.bytesSent + f.bytesReceived, 0);
      expect(sum(after)).toBe(sum(before));
      expect((await json(second, "/api/devices")).body.devices.length).toBe(devicesBefore);
      expect((await json(second, "/api/health")).body.status).toBe("ok");
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
