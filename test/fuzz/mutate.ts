/**
 * Mutations that hostile or broken senders produce: bit flips, bytes set to 0x00/0xff/0x80,
 * truncation, length-field lies, DNS compression-pointer loops, inserted/deleted chunks and
 * splices of two frames. Lies and flips come first (they need the original offsets).
 */
import type { LengthField } from "./builder.ts";
import type { Rng } from "./prng.ts";
import { concat } from "../../src/decode/testing/frames.ts";

/** Frames longer than this are cut (a batch record must stay well below the batch size). */
export const MAX_MUTATED_LENGTH = 65535;
const INTERESTING_BYTES = [0x00, 0xff, 0x80, 0x7f, 0x01, 0x3f, 0xc0];

export interface MutationTarget {
  fields: LengthField[];
  /** Offset of a DNS-framed message, or -1. */
  dnsAt: number;
  /** Only bytes from here on are mutated (0: the whole buffer). */
  from?: number;
  /** Another buffer to splice with. */
  other?: () => Uint8Array;
}

function readField(b: Uint8Array, f: LengthField): number {
  let v = 0;
  for (let i = 0; i < f.size; i++) v = v * 256 + b[f.off + i];
  return f.mask ? (b[f.off] & f.mask) >> ctz(f.mask) : v;
}

function ctz(mask: number): number {
  let n = 0;
  while (((mask >> n) & 1) === 0) n++;
  return n;
}

/** Rewrites a length/count field with a lie: 0, 1, max, off-by-one, doubled or random. */
export function lieAbout(rng: Rng, b: Uint8Array, f: LengthField): void {
  if (f.off + f.size > b.length) return;
  const bits = f.mask ? popcount(f.mask) : f.size * 8;
  const max = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const v = readField(b, f);
  const choices = [0, 1, max, v + 1, v - 1, v * 2, Math.floor(v / 2), v + 1 + rng.int(16), rng.u32()];
  const lie = ((rng.pick(choices) % (max + 1)) + max + 1) % (max + 1);
  if (f.mask) {
    const shift = ctz(f.mask);
    b[f.off] = (b[f.off] & ~f.mask) | ((lie << shift) & f.mask);
    return;
  }
  let n = lie;
  for (let i = f.size - 1; i >= 0; i--, n = Math.floor(n / 256)) b[f.off + i] = n & 0xff;
}

function popcount(m: number): number {
  let n = 0;
  for (; m; m &= m - 1) n++;
  return n;
}

/** Writes a compression pointer that points at itself, or two that point at each other. */
export function pointerLoop(rng: Rng, b: Uint8Array, dnsAt: number): void {
  const first = dnsAt + 12;
  if (b.length - first < 4) return;
  const q = first + rng.int(b.length - first - 1);
  const rel = (at: number) => at - dnsAt;
  if (rng.chance(0.5) || q - first < 2) {
    b[q] = 0xc0 | ((rel(q) >> 8) & 0x3f);
    b[q + 1] = rel(q) & 0xff;
  } else {
    const r = first + rng.int(q - first - 1);
    b[q] = 0xc0 | ((rel(r) >> 8) & 0x3f);
    b[q + 1] = rel(r) & 0xff;
    b[r] = 0xc0 | ((rel(q) >> 8) & 0x3f);
    b[r + 1] = rel(q) & 0xff;
  }
}

/** A mutated copy of `input` (1 to 4 mutations), never longer than MAX_MUTATED_LENGTH. */
export function mutate(rng: Rng, input: Uint8Array, t: MutationTarget): Uint8Array {
  let b: Uint8Array = input.slice();
  const from = Math.min(t.from ?? 0, b.length);
  const span = () => b.length - from;
  const rounds = 1 + rng.int(4);
  let structural = false;
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(structural ? 5 : 10);
    if (op <= 1 && span() > 0) {
      for (let n = 1 + rng.int(8); n > 0; n--) b[from + rng.int(span())] ^= 1 << rng.int(8);
    } else if (op === 2 && span() > 0) {
      for (let n = 1 + rng.int(3); n > 0; n--) b[from + rng.int(span())] = rng.pick(INTERESTING_BYTES);
    } else if (op <= 4 && t.fields.length > 0) {
      lieAbout(rng, b, rng.pick(t.fields));
    } else if (op <= 4 && t.dnsAt >= 0) {
      pointerLoop(rng, b, t.dnsAt);
    } else if (op === 5 && t.dnsAt >= 0) {
      pointerLoop(rng, b, t.dnsAt);
    } else if (op === 6 && span() > 0) {
      structural = true;
      const at = from + rng.int(span());
      const n = 1 + rng.int(Math.min(64, b.length - at));
      b = concat(b.subarray(0, at), b.subarray(at + n));
    } else if (op === 7) {
      structural = true;
      const at = from + rng.int(span() + 1);
      const chunk = rng.chance(0.5) && span() > 0 ? b.slice(from + rng.int(span()), from + rng.int(span()) + 1 + rng.int(256)) : randomBytes(rng, 1 + rng.int(32));
      b = concat(b.subarray(0, at), chunk, b.subarray(at));
    } else if (op === 8 && t.other) {
      structural = true;
      const other = t.other();
      const cut = from + rng.int(span() + 1);
      b = concat(b.subarray(0, cut), other.subarray(rng.int(other.length + 1)));
    } else if (span() > 0) {
      b = b.slice(0, from + rng.int(span()));
      break;
    }
  }
  return b.length > MAX_MUTATED_LENGTH ? b.slice(0, MAX_MUTATED_LENGTH) : b;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.u32() & 0xff;
  return out;
}


