import { describe, expect, test } from "bun:test";
import { createThreatDetectors, resolveThreatSettings, ThreatStore } from "./index.ts";
import { flow } from "./testing.ts";

describe("createThreatDetectors", () => {
  test("every detector is on by default, sharing the given store; settings are validated", () => {
    const store = new ThreatStore({ firstId: 500 });
    const { analyzers, settings } = createThreatDetectors({ store, settings: { portScanPorts: 5 } });
    expect(analyzers.length).toBeGreaterThanOrEqual(15);
    expect(new Set(analyzers.map((a) => a.name)).size).toBe(analyzers.length);
    expect(settings.portScanPorts).toBe(5);
    expect(settings.sweepHosts).toBe(30);
    for (let p = 1; p <= 5; p++) for (const a of analyzers) a.flowStarted?.(flow({ dstPort: p }));
    expect(store.list()[0]).toMatchObject({ id: "500", type: "port_scan" });
    expect(() => resolveThreatSettings({ portScanPorts: -1 })).toThrow();
    expect(createThreatDetectors({ disable: ["portScan"] }).analyzers.some((a) => a.name === "threats.port-scan")).toBe(false);
  });
});
