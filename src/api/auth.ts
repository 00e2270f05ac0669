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
  return Response.json(errorBody("unauthorized", "missing or invalid token"), {
    status: 401,
    headers: { "www-authenticate": "Bearer" },
  });
}

export function tooManyFailures(retryAfterSeconds: number): Response {
  return Response.json(errorBody("too_many_requests", `too many failed authentications from this address; try again in ${retryAfterSeconds} s`), {
    status: 429,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

/**
 * Requires `Authorization: Bearer <token>`; `open` lists paths that need no token. An address over
 * the limiter's failure budget gets 429 before its token is even looked at (else a right guess would
 * still stand out from the wrong ones).
 */
export function requireToken(token: string, open: ReadonlySet<string>, limiter = new AuthFailureLimiter()): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS" || open.has(c.req.path)) return next();
    const address = clientAddress(c);
    const wait = address === undefined ? 0 : limiter.retryAfter(address);
    if (wait > 0) return tooManyFailures(wait);
    if (!tokenMatches(token, bearerToken(c.req.header("authorization")))) {
      if (address !== undefined) limiter.failure(address);
      return unauthorized();
    }
    if (address !== undefined) limiter.success(address);
    return next();
  };
}
