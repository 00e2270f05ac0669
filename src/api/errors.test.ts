/**
 * Every error path of the REST API answers in the one shape, { error: { code, message, details } }:
 * a walk through each status the API can give (400, 401, 404, 405, 409, 413, 415, 429, 500),
 * unknown HTTP methods included, against a real service over an in-memory database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NetInsightService, serviceContext } from "../service/service.ts";
import { openStorage } from "../storage/index.ts";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import { ErrorSchema } from "./schemas.ts";
import { AuthFailureLimiter } from "./rate-limit.ts";

const TOKEN = "walk-token-0123456789abcdef";
const auth = { authorization: `Bearer ${TOKEN}` };
/** A peer address, as Bun.serve gives it, so the failed-auth limit applies. */
const peer = (address: string) => ({ server: { requestIP: () => ({ address }) } });

let service: NetInsightService;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  service = await NetInsightService.create({ storage: openStorage(":memory:"), version: "9.9.9" });
  app = createApp(serviceContext(service), { token: TOKEN, authLimiter: new AuthFailureLimiter({ maxFailures: 2 }) });
});

afterAll(async () => {
  await service.shutdown();
});

interface Case {
  name: string;
  status: number;
  code: string;
  request: () => Response | Promise<Response>;
  /** A field `details` must carry. */
  detail?: string;
}

const req = (path: string, init: RequestInit = {}, env?: object) => app.request(path, { ...init, headers: { ...auth, ...(init.headers as object) } }, env);

const cases: Case[] = [
  { name: "bad query parameter", status: 400, code: "invalid_request", request: () => req("/api/flows?limit=0") },
  { name: "1e3 is not an integer", status: 400, code: "invalid_request", request: () => req("/api/flows?limit=1e3") },
  { name: "0x10 is not an integer", status: 400, code: "invalid_request", request: () => req("/api/threats?limit=0x10") },
  { name: "1e-320 hours", status: 400, code: "invalid_request", request: () => req("/api/analytics?hours=1e-320") },
  { name: "malformed JSON body", status: 400, code: "invalid_request",
    request: () => req("/api/capture/start", { method: "POST", body: "{", headers: { "content-type": "application/json" } }) },
  { name: "no token", status: 401, code: "unauthorized", detail: "scheme", request: () => app.request("/api/devices") },
  { name: "wrong token", status: 401, code: "unauthorized", request: () => app.request("/api/devices", { headers: { authorization: "Bearer nope" } }) },
  { name: "unknown route", status: 404, code: "not_found", detail: "path", request: () => req("/api/nothing-here") },
  { name: "unknown device", status: 404, code: "not_found", request: () => req("/api/devices/abcdef") },
  { name: "unknown threat", status: 404, code: "not_found", request: () => req("/api/threats/none/dismiss", { method: "POST" }) },
  { name: "unknown flow", status: 404, code: "not_found", request: () => req("/api/flows/424242") },
  { name: "wrong method on a route", status: 405, code: "method_not_allowed", detail: "allowed", request: () => req("/api/devices", { method: "DELETE" }) },
  // Methods no route uses (Bun's own parser refuses tokens it does not know before the app sees them).
  { name: "PROPFIND on a route", status: 405, code: "method_not_allowed", detail: "allowed", request: () => req("/api/health", { method: "PROPFIND" }) },
  { name: "TRACE on a route", status: 405, code: "method_not_allowed", detail: "allowed", request: () => req("/api/flows", { method: "TRACE" }) },
  { name: "unknown HTTP method elsewhere", status: 404, code: "not_found", request: () => req("/nowhere", { method: "PROPFIND" }) },
  { name: "stop when stopped", status: 409, code: "conflict", request: () => req("/api/capture/stop", { method: "POST" }) },
  { name: "body too large", status: 413, code: "payload_too_large", detail: "maxBytes",
    request: () => req("/api/capture/start", { method: "POST", body: JSON.stringify({ filter: "x".repeat(MAX_BODY_BYTES) }), headers: { "content-type": "application/json" } }) },
  { name: "body not JSON", status: 415, code: "unsupported_media_type", detail: "accepted",
    request: () => req("/api/capture/start", { method: "POST", body: "interface=eth0", headers: { "content-type": "application/x-www-form-urlencoded" } }) },
];

describe("every error answers { error: { code, message, details } }", () => {
  for (const c of cases) {
    test(`${c.status} ${c.name}`, async () => {
      const res = await c.request();
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body = await res.json() as { error: { code: string; message: string; details: Record<string, unknown> } };
      expect(ErrorSchema.safeParse(body).success).toBe(true);
      expect(body.error.code).toBe(c.code);
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(typeof body.error.details).toBe("object");
      expect(body.error.details).not.toBeNull();
      if (c.detail) expect(body.error.details).toHaveProperty(c.detail);
      expect(JSON.stringify(body)).not.toMatch(/\s+at\s|\.ts:\d+/);
    });
  }

  test("405 says which methods the path answers in Allow", async () => {
    const res = await req("/api/devices", { method: "PUT" });
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  test("429 after the failed-auth budget, with Retry-After in the header and the details", async () => {
    const bad = { headers: { authorization: "Bearer wrong" } };
    for (let i = 0; i < 2; i++) expect((await app.request("/api/flows", bad, peer("198.51.100.7"))).status).toBe(401);
    const res = await app.request("/api/flows", bad, peer("198.51.100.7"));
    expect(res.status).toBe(429);
    const body = ErrorSchema.parse(await res.json());
    expect(body.error.code).toBe("too_many_requests");
    expect(body.error.details).toEqual({ retryAfterSeconds: Number(res.headers.get("retry-after")) });
  });

  test("500 when the service fails underneath (its database closed), still in the shape", async () => {
    const broken = await NetInsightService.create({ storage: openStorage(":memory:"), version: "9.9.9" });
    const brokenApp = createApp(serviceContext(broken), { token: TOKEN });
    broken.storage.close();
    const errors = console.error;
    console.error = () => {};
    try {
      const res = await brokenApp.request("/api/analytics", { headers: auth });
      expect(res.status).toBe(500);
      const body = ErrorSchema.parse(await res.json());
      expect(body.error).toEqual({ code: "internal_error", message: "internal error", details: {} });
    } finally {
      console.error = errors;
    }
  });
});
