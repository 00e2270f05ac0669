/**
 * Bearer-token auth: constant-time comparison, and a 401 that says nothing about why.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorBody } from "./errors.ts";

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

/** Requires `Authorization: Bearer <token>`; `open` lists paths that need no token. */
export function requireToken(token: string, open: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS" || open.has(c.req.path)) return next();
    if (!tokenMatches(token, bearerToken(c.req.header("authorization")))) return unauthorized();
    return next();
  };
}
