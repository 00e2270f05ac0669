/**
 * Bearer-token auth: constant-time comparison, a 401 that says nothing about why, and a 429 for an
 * address that keeps failing (rate-limit.ts).
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorBody } from "./errors.ts";
import { AuthFailureLimiter, clientAddress } from "./rate-limit.ts";

/** Compares digests so neither the length nor the content of the token leaks through timing. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(header: string | null | undefined): string | null {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m ? m[1] : null;
}

export function unauthorized(): Response {
  return Response.json(errorBody("unauthorized", "missing or invalid token", { scheme: "Bearer" }), {
    status: 401,
    headers: { "www-authenticate": "Bearer" },
  });
}

export function tooManyFailures(retryAfterSeconds: number): Response {
  return Response.json(errorBody("too_many_requests", `too many failed authentications from this address; try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds }), {
    status: 429,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

/**
 * Requires `Authorization: Bearer <token>`; `open` lists paths that need no token. The right token
 * always passes, whoever else shares its address (a reverse proxy, a NAT): only failures are limited,
 * and an address over the failure budget gets 429 instead of 401 until its window ends. Guessing
 * stays hopeless because tokens are long (16+ characters; 43 when generated).
 */
export function requireToken(token: string, open: ReadonlySet<string>, limiter = new AuthFailureLimiter()): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS" || open.has(c.req.path)) return next();
    const denied = checkToken(token, bearerToken(c.req.header("authorization")), clientAddress(c), limiter);
    return denied ?? next();
  };
}

/** Null when `given` is the token; else the 401 (counted as a failure of `address`) or the 429. */
export function checkToken(token: string, given: string | null | undefined, address: string | undefined, limiter: AuthFailureLimiter): Response | null {
  if (tokenMatches(token, given)) return null;
  const wait = address === undefined ? 0 : limiter.retryAfter(address);
  if (wait > 0) return tooManyFailures(wait);
  if (address !== undefined) limiter.failure(address);
  return unauthorized();
}
