import { describe, expect, test } from "bun:test";
import { createApp } from "./app.ts";
import { AuthFailureLimiter } from "./rate-limit.ts";
import type { ServiceContext } from "../service/context.ts";

describe("AuthFailureLimiter", () => {
  test("blocks an address after the budget until the window passes; others are unaffected", () => {
    let now = 1_000_000;
    const l = new AuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter("10.0.0.1")).toBe(0);
      l.failure("10.0.0.1");
    }
    expect(l.retryAfter("10.0.0.1")).toBe(60);
    expect(l.retryAfter("10.0.0.2")).toBe(0);
    now += 59_500;
    expect(l.retryAfter("10.0.0.1")).toBe(1);
    now += 500;
    expect(l.retryAfter("10.0.0.1")).toBe(0);
    expect(l.size).toBe(0);
  });

  test("the address table stays bounded under a flood of addresses", () => {
    const l = new AuthFailureLimiter({ maxAddresses: 100 });
    for (let i = 0; i < 10_000; i++) l.failure(`10.${i >> 8}.${i & 255}.1`);
    expect(l.size).toBe(100);
  });
});

describe("requireToken with a peer address", () => {
  const ctx = { version: "t", startedAt: 0, health: () => ({ problems: [] }) } as unknown as ServiceContext;
  const peer = (address: string) => ({ server: { requestIP: () => ({ address }) } });

  test("429 with Retry-After for wrong tokens after the failures; the right token from the same address still passes", async () => {
    const flowsCtx = { ...ctx, flows: { list: () => [], get: () => undefined } } as unknown as ServiceContext;
    const app = createApp(flowsCtx, { token: "right-token-0123456789", authLimiter: new AuthFailureLimiter({ maxFailures: 2 }) });
    const wrong = { headers: { authorization: "Bearer wrong" } };
    const right = { headers: { authorization: "Bearer right-token-0123456789" } };
    expect((await app.request("/api/flows", wrong, peer("192.0.2.1"))).status).toBe(401);
    expect((await app.request("/api/flows", wrong, peer("192.0.2.1"))).status).toBe(401);
    const blocked = await app.request("/api/flows", wrong, peer("192.0.2.1"));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await blocked.json()) as any).error.code).toBe("too_many_requests");
    // Behind a proxy everyone shares the address: the right token is never locked out...
    for (let i = 0; i < 3; i++) expect((await app.request("/api/flows", right, peer("192.0.2.1"))).status).toBe(200);
    // ...and it does not unlock the guesser either.
    expect((await app.request("/api/flows", { headers: {} }, peer("192.0.2.1"))).status).toBe(429);
    // Another address, and the open health route, are not affected.
    expect((await app.request("/api/flows", wrong, peer("192.0.2.2"))).status).toBe(401);
    expect((await app.request("/api/health", {}, peer("192.0.2.1"))).status).toBe(200);
  });
});
