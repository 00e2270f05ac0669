import { describe, expect, test } from "bun:test";
import { createHeartbleedDetector } from "./heartbleed.ts";
import { fixture, flow } from "./testing.ts";

/** A TLS 1.2 heartbeat record: type 24, version 3.3, length, then (unencrypted) type, payload length, payload. */
function heartbeat(recordLength: number, kind = 1, claimed = recordLength - 19): Uint8Array {
  const b = new Uint8Array(5 + Math.min(recordLength, 64));
  b.set([24, 3, 3, recordLength >> 8, recordLength & 255, kind, claimed >> 8, claimed & 255]);
  return b;
}
const appData = Uint8Array.from([23, 3, 3, 0, 32, ...new Array(32).fill(0xaa)]);

describe("TLS heartbeat (Heartbleed)", () => {
  test("keep-alive heartbeats (tens of bytes) and application data are silent", () => {
    const { store, settings } = fixture();
    const d = createHeartbleedDetector(store, settings);
    const f = flow({ id: "h1", dstPort: 443 });
    for (let i = 0; i < 10; i++) {
      d.payload!(f, heartbeat(37), true, 1000 + i);
      d.payload!(f, heartbeat(37, 2), false, 1000 + i);
      d.payload!(f, appData, true, 1000 + i);
    }
    expect(store.size).toBe(0);
  });

  test("a 16 KB heartbeat request is an attempt; the server answering in kind is a probable leak", () => {
    const { store, settings } = fixture();
    const d = createHeartbleedDetector(store, settings);
    const f = flow({ id: "h2", srcIp: "173.203.79.216", dstIp: "107.170.241.107", dstPort: 443 });
    // A record after another in the same segment is read too.
    d.payload!(f, Uint8Array.from([...appData, ...heartbeat(16368)]), true, 1000);
    expect(store.list()[0]).toMatchObject({ type: "heartbleed", severity: "high", sourceIp: "173.203.79.216", targetPort: 443 });
    d.payload!(f, heartbeat(16384, 2), false, 1000.1);
    d.tick!(1001);
    const [t] = store.list();
    expect(t.severity).toBe("critical");
    expect(t.evidence).toMatchObject({ largestRequestBytes: 16368, largestResponseBytes: 16384, probablyLeaked: true });
  });

  test("truncated records and non-TLS bytes never throw", () => {
    const { store, settings } = fixture();
    const d = createHeartbleedDetector(store, settings);
    const big = heartbeat(16368);
    for (let n = 0; n <= big.length; n++) expect(() => d.payload!(flow({ id: "h3" }), big.subarray(0, n), true, 1000)).not.toThrow();
    d.payload!(flow({ id: "h4" }), new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), true, 1000);
    expect(store.list().every((t) => t.type === "heartbleed")).toBe(true);
  });
});
