/**
 * Failed-auth limiting per client address: after MAX_AUTH_FAILURES wrong or missing tokens within
 * AUTH_WINDOW_MS, the address gets 429 (with Retry-After) instead of 401 for every further wrong
 * token until the window ends. The right token always passes (auth.ts), and does not wipe the
 * count: behind a shared address, one good client neither is locked out nor unlocks a guesser.
 * The table of addresses is bounded.
 */
import type { Context } from "hono";

export const MAX_AUTH_FAILURES = 10;
export const AUTH_WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond it the longest-tracked is forgotten (a spoofed flood cannot grow memory). */
export const MAX_TRACKED_ADDRESSES = 10_000;

interface Window {
  start: number;
  failures: number;
}

export interface AuthLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxAddresses?: number;
  now?: () => number;
}

export class AuthFailureLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;

  constructor(o: AuthLimiterOptions = {}) {
    this.#max = o.maxFailures ?? MAX_AUTH_FAILURES;
    this.#windowMs = o.windowMs ?? AUTH_WINDOW_MS;
    this.#maxAddresses = o.maxAddresses ?? MAX_TRACKED_ADDRESSES;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#windows.size;
  }

  /** Seconds until `address` may try again, or 0 when it is not blocked. */
  retryAfter(address: string): number {
    const w = this.#windows.get(address);
    if (!w || w.failures < this.#max) return 0;
    const left = w.start + this.#windowMs - this.#now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  failure(address: string): void {
    const now = this.#now();
    const w = this.#windows.get(address);
    if (w && now - w.start < this.#windowMs) {
      w.failures++;
      return;
    }
    // A new window goes to the end of the insertion order, so the first key is the oldest window.
    this.#windows.delete(address);
    this.#windows.set(address, { start: now, failures: 1 });
    if (this.#windows.size > this.#maxAddresses) this.#windows.delete(this.#windows.keys().next().value as string);
  }

}

interface RequestIpServer {
  requestIP?(req: Request): { address: string } | null;
}

/**
 * The peer address of the connection (never a header a client could forge); undefined without one
 * (in-process `app.request`, a Unix socket), which is then not limited.
 */
export function clientAddress(c: Context): string | undefined {
  const server = (c.env as { server?: RequestIpServer } | undefined)?.server;
  return server?.requestIP?.(c.req.raw)?.address;
}
