/** A small seeded PRNG (mulberry32) and a hex dump: every fuzz failure is reproducible from its seed. */

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** "0000  45 00 00 1c ..." lines, 16 bytes each: enough to paste a reproducer into a test. */
export function hexDump(bytes: Uint8Array, max = 2048): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i += 16) {
    const row = Array.from(bytes.subarray(i, Math.min(i + 16, n)), (b) => b.toString(16).padStart(2, "0"));
    lines.push(`${i.toString(16).padStart(4, "0")}  ${row.join(" ")}`);
  }
  if (bytes.length > max) lines.push(`... (${bytes.length - max} more bytes)`);
  return lines.join("\n");
}

/** One-line hex (for reproducer snippets). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
