import { describe, expect, test } from "bun:test";
import { TextSpool } from "./spool.ts";

async function joined(spool: TextSpool, sep: string): Promise<string> {
  const parts: Uint8Array[] = [];
  await spool.writeJoined(sep, (c) => { parts.push(Uint8Array.from(c)); });
  return Buffer.concat(parts).toString("utf8");
}

describe("TextSpool", () => {
  test("reads texts back in key order whatever order they were added in, skipping missing keys", async () => {
    const spool = new TextSpool(5);
    spool.add(8, "eight");
    spool.add(5, "five");
    spool.add(7, "sieben ü €"); // multi-byte UTF-8
    spool.add(11, "eleven");
    expect(await joined(spool, ",")).toBe("five,sieben ü €,eight,eleven");
    spool.close();
  });

  test("texts larger than its buffers, and many small ones across chunks, come back whole", async () => {
    const spool = new TextSpool(1);
    const big = "x".repeat(3 << 20);
    const expected: string[] = [];
    for (let id = 1; id <= 5000; id++) {
      const text = id === 2500 ? big : `{"id":"${id}","pad":"${"y".repeat(id % 700)}"}`;
      expected.push(text);
    }
    for (let id = 5000; id >= 1; id--) spool.add(id, expected[id - 1]);
    const chunks: Uint8Array[] = [];
    await spool.writeJoined(",", (c) => { chunks.push(Uint8Array.from(c)); });
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(expected.join(","));
    spool.close();
  });

  test("texts added as UTF-8 bytes (a prefix of a reused array, or larger than its buffers) mix with added strings", async () => {
    const spool = new TextSpool(1);
    const scratch = new Uint8Array(64);
    const enc = new TextEncoder();
    const put = (key: number, text: string) => {
      const n = enc.encodeInto(text, scratch).written;
      spool.addBytes(key, scratch, n);
      scratch.fill(0x7e); // the spool copied what it needed
    };
    put(3, "drei ü");
    spool.add(1, "one");
    put(2, "two");
    const big = "z".repeat((1 << 20) + 5);
    spool.addBytes(4, enc.encode(big));
    expect(await joined(spool, ";")).toBe(`one;two;drei ü;${big}`);
    spool.close();
  });

  test("no texts: nothing written; a key before the first is refused", async () => {
    const spool = new TextSpool(10);
    expect(await joined(spool, ",")).toBe("");
    expect(() => spool.add(9, "x")).toThrow(/before the first key/);
    spool.close();
  });

  test("texts written straight into the buffer (small, across chunks, larger than its buffers) mix with the others", async () => {
    const spool = new TextSpool(1);
    const enc = new TextEncoder();
    const big = "y".repeat((1 << 20) + 5);
    const put = (text: string) => (bytes: Uint8Array, at: number) => at + enc.encodeInto(text, bytes.subarray(at)).written;
    spool.addWritten(3, 10, put("three"));
    spool.add(1, "one");
    spool.addWritten(2, big.length, put(big));
    for (let k = 4; k < 3000; k++) spool.addWritten(k, 600, put(`${k}:` + "z".repeat(500)));
    const chunks: string[] = [];
    await spool.writeJoined(",", (c) => void chunks.push(Buffer.from(c).toString()));
    const expected = ["one", big, "three"];
    for (let k = 4; k < 3000; k++) expected.push(`${k}:` + "z".repeat(500));
    expect(chunks.join("")).toBe(expected.join(","));
    spool.close();
  });

  test("texts added in a shuffled order, near and far apart in the file, come back in key order", async () => {
    const spool = new TextSpool(1);
    const n = 20_000;
    const texts = Array.from({ length: n }, (_, i) => `${i + 1}:` + "q".repeat((i * 7919) % 300) + (i % 97 === 0 ? "w".repeat(40_000) : ""));
    // A fixed shuffle: most keys near their neighbours in the file, some far away (flows that ended late).
    const keys = Array.from({ length: n }, (_, i) => i + 1);
    let seed = 12345;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = i % 10 === 0 ? seed % (i + 1) : Math.max(0, i - (seed % 8));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    for (const k of keys) if (k % 1000 !== 0) spool.add(k, texts[k - 1]); // and some keys without a text
    const expected = texts.filter((_, i) => (i + 1) % 1000 !== 0).join(",");
    expect(await joined(spool, ",")).toBe(expected);
    spool.close();
  });
});
