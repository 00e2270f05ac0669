import { describe, expect, test } from "bun:test";
import { ThreatStore, type ThreatInput } from "./store.ts";
import type { Threat } from "./model.ts";

const input = (p: Partial<ThreatInput> = {}): ThreatInput => ({
  type: "port_scan", severity: "medium", title: "t", description: "d", ts: 100,
  sourceIp: "10.0.0.5", targetIp: "10.0.0.9", evidence: { ports: 25 }, ...p,
});

describe("ThreatStore", () => {
  test("repeats of one activity update one record", () => {
    const store = new ThreatStore();
    const a = store.raise(input())!;
    const b = store.raise(input({ ts: 130, evidence: { ports: 40 } }))!;
    expect(b.id).toBe(a.id);
    expect(store.size).toBe(1);
    expect(b.count).toBe(2);
    expect(b.firstSeen).toBe(100);
    expect(b.lastSeen).toBe(130);
    expect(b.evidence.ports).toBe(40);
    const other = store.raise(input({ targetIp: "10.0.0.10" }))!;
    expect(other.id).not.toBe(a.id);
  });

  test("ids are decimal strings from firstId; restore continues after the highest", () => {
    const store = new ThreatStore({ firstId: 41 });
    expect(store.raise(input())!.id).toBe("41");
    const saved: Threat = { ...store.get("41")!, id: "97" };
    const restored = new ThreatStore();
    restored.restore([saved]);
    expect(restored.get("97")?.type).toBe("port_scan");
    expect(restored.raise(input({ sourceIp: "10.0.0.6" }))!.id).toBe("98");
    // The restored record keeps deduplicating.
    expect(restored.raise(input())!.id).toBe("97");
  });

  test("a dismissed threat stays dismissed while the activity continues, and re-opens as a new record later", () => {
    const store = new ThreatStore({ reopenAfterSeconds: 600 });
    const events: string[] = [];
    store.onChange((t, e) => events.push(`${e}:${t.id}`));
    const a = store.raise(input())!;
    store.dismiss(a.id);
    const again = store.raise(input({ ts: 200 }))!;
    expect(again.id).toBe(a.id);
    expect(again.status).toBe("dismissed");
    expect(again.count).toBe(2);
    const later = store.raise(input({ ts: 200 + 601 }))!;
    expect(later.id).not.toBe(a.id);
    expect(later.status).toBe("active");
    expect(events).toEqual(["new:1", "dismissed:1", `new:${later.id}`]);
  });

  test("device attribution: by MAC for LAN sources, never by the router's MAC for internet sources", () => {
    const seen: [string | null, string | null][] = [];
    const store = new ThreatStore({ resolveDevice: (ip, mac) => (seen.push([ip, mac]), mac ? "dev-" + mac : null) });
    expect(store.raise(input({ sourceIp: "10.0.0.5", sourceMac: "02:00:00:00:00:05" }))!.deviceId).toBe("dev-02:00:00:00:00:05");
    expect(store.raise(input({ sourceIp: "203.0.113.9", sourceMac: "02:00:00:00:00:01" }))!.deviceId).toBeNull();
    expect(store.raise(input({ sourceIp: null, sourceMac: "02:00:00:00:00:66" }))!.deviceId).toBe("dev-02:00:00:00:00:66");
    expect(seen[1]).toEqual(["203.0.113.9", null]);
  });

  test("suppression per source or device and type", () => {
    const store = new ThreatStore({ resolveDevice: (ip) => (ip === "10.0.0.7" ? "aabbccddeeff" : null) });
    store.suppress({ type: "port_scan", sourceIp: "10.0.0.5" });
    store.suppress({ type: "beaconing", deviceId: "aabbccddeeff" });
    expect(store.raise(input())).toBeUndefined();
    expect(store.raise(input({ type: "host_sweep" }))).toBeDefined();
    expect(store.raise(input({ type: "beaconing", sourceIp: "10.0.0.7" }))).toBeUndefined();
    expect(store.raise(input({ type: "beaconing", sourceIp: "10.0.0.8" }))).toBeDefined();
    expect(store.unsuppress({ type: "port_scan", sourceIp: "10.0.0.5" })).toBe(true);
    expect(store.raise(input())).toBeDefined();
  });

  test("updated events are coalesced to one per second per threat, flushed on demand", () => {
    const store = new ThreatStore();
    const events: string[] = [];
    store.onChange((t, e) => events.push(`${e}@${t.lastSeen}`));
    store.raise(input({ ts: 100 }));
    store.raise(input({ ts: 100.2 }));
    store.raise(input({ ts: 100.5 }));
    expect(events).toEqual(["new@100"]);
    store.raise(input({ ts: 101.1 }));
    expect(events).toEqual(["new@100", "updated@101.1"]);
    store.raise(input({ ts: 101.3 }));
    store.flush();
    expect(events).toEqual(["new@100", "updated@101.1", "updated@101.3"]);
    store.flush();
    expect(events.length).toBe(3);
  });

  test("list filters and orders newest first; bounded with dismissed records evicted first", () => {
    const store = new ThreatStore({ maxThreats: 3 });
    const a = store.raise(input({ sourceIp: "1.1.1.1", ts: 1 }))!;
    store.raise(input({ sourceIp: "1.1.1.2", ts: 2, severity: "high" }));
    store.raise(input({ sourceIp: "1.1.1.3", ts: 3 }));
    store.dismiss(a.id);
    expect(store.list({ activeOnly: true }).map((t) => t.sourceIp)).toEqual(["1.1.1.3", "1.1.1.2"]);
    expect(store.list({ severity: "high" }).length).toBe(1);
    expect(store.list({ limit: 1 })[0].sourceIp).toBe("1.1.1.3");
    store.raise(input({ sourceIp: "1.1.1.4", ts: 4 }));
    expect(store.size).toBe(3);
    expect(store.get(a.id)).toBeUndefined(); // the dismissed one went first, though not the oldest active
    store.raise(input({ sourceIp: "1.1.1.5", ts: 5 }));
    expect(store.list().map((t) => t.sourceIp)).toEqual(["1.1.1.5", "1.1.1.4", "1.1.1.3"]);
  });

  test("severity only escalates; a listener that throws does not break raising", () => {
    const store = new ThreatStore();
    store.onChange(() => {
      throw new Error("boom");
    });
    const orig = console.error;
    console.error = () => {};
    try {
      store.raise(input({ severity: "high" }));
      const t = store.raise(input({ severity: "low", ts: 105 }))!;
      expect(t.severity).toBe("high");
    } finally {
      console.error = orig;
    }
  });
});
