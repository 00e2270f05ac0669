/**
 * The API under abuse, over real HTTP: failed tokens are rate-limited per address (429 + Retry-After,
 * the WebSocket too), bodies are capped, and no error response carries a stack trace or a file path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MAX_BODY_BYTES } from "../../src/api/app.ts";
import { MAX_AUTH_FAILURES } from "../../src/api/rate-limit.ts";
import { serve, stopServe, type Served } from "./helpers.ts";

/** What must never appear in an error body: stack frames, source files, this machine's paths. */
const LEAKS = [/\bat .*\(.*:\d+:\d+\)/, /\.ts\b/, /node_modules/, /\/work\//, /\/tmp\//, /Error:/];

const dir = mkdtempSync(path.join(tmpdir(), "ni-api-hard-"));
let s: Served;

describe("API hardening over HTTP", () => {
  beforeAll(async () => {
    s = await serve(["--no-capture", "--database", path.join(dir, "api.db")]);
  });
  afterAll(async () => {
    if (s) expect(await stopServe(s)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("forced failures answer in the error shape without stack traces or paths", async () => {
    const cases: [string, RequestInit, number][] = [
      ["/api/flows?limit=abc", {}, 400],
      ["/api/flows?limit=100000", {}, 400],
      ["/api/flows/999999999", {}, 404],
      ["/api/devices/%E0%A4%A", {}, 404],
      ["/api/nope", {}, 404],
      ["/api/capture/start", { method: "POST", body: "{not json" }, 400],
      ["/api/capture/start", { method: "POST", body: JSON.stringify({ interface: "ni-no-such-if0" }) }, 400],
      ["/api/capture/start", { method: "POST", body: JSON.stringify({ filter: "port (" }) }, 400],
      ["/api/capture/start", { method: "POST", body: JSON.stringify({ filter: "x".repeat(MAX_BODY_BYTES + 1) }) }, 413],
      ["/api/capture/stop", { method: "POST" }, 409],
      ["/api/threats/nope/dismiss", { method: "POST" }, 404],
    ];
    for (const [p, init, status] of cases) {
      const res = await s.api(p, init);
      expect({ p, status: res.status }).toEqual({ p, status });
      expect(typeof res.body.error?.code).toBe("string");
      const text = JSON.stringify(res.body);
      for (const leak of LEAKS) expect({ p, text, leak: leak.test(text) }).toMatchObject({ leak: false });
    }
  });

  test(`after ${MAX_AUTH_FAILURES} failed tokens an address gets 429 with Retry-After; health stays open`, async () => {
    // The good token first: successes never count against an address.
    for (let i = 0; i < 3; i++) expect((await s.api("/api/flows?limit=1")).status).toBe(200);
    const bad = { headers: { authorization: "Bearer not-the-token" } };
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) {
      const r = await s.api("/api/flows", bad);
      expect(r.status).toBe(401);
      expect(r.body.error).toEqual({ code: "unauthorized", message: "missing or invalid token", details: { scheme: "Bearer" } });
    }
    const limited = await s.api("/api/flows", bad);
    expect(limited.status).toBe(429);
    const retry = Number(limited.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.body.error.details).toEqual({ retryAfterSeconds: retry });
    // The right token still passes (behind a proxy, everyone shares the address); wrong ones stay 429.
    expect((await s.api("/api/flows?limit=1")).status).toBe(200);
    expect((await s.api("/api/flows", bad)).status).toBe(429);
    const ws = await fetch(`${s.base}/ws?token=whatever`, { headers: { upgrade: "websocket", connection: "upgrade" } });
    expect(ws.status).toBe(429);
    expect((await fetch(`${s.base}/api/health`)).status).toBe(200);
  });
});
