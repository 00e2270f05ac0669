import { describe, expect, test } from "bun:test";
import { FlowLabelColumns } from "./labels.ts";
import type { FlowRecord } from "./record.ts";

const blank = () => ({ service: null, serviceBy: null, hostname: null, application: null, category: null, srcDeviceId: null, dstDeviceId: null }) as unknown as FlowRecord;

describe("flow label columns", () => {
  test("fields present in a patch are set or cleared, absent ones kept (Object.assign semantics)", () => {
    const l = new FlowLabelColumns(4);
    l.set(1, { service: "TLS", serviceBy: "payload", hostname: "a.example" });
    l.set(1, { application: "Example", category: null, hostname: undefined });
    const r = blank();
    l.apply(1, r);
    expect([r.service, r.serviceBy, r.hostname, r.application, r.category]).toEqual(["TLS", "payload", null, "Example", null]);
    l.setService(1, "DNS", "port");
    l.apply(1, r);
    expect([r.service, r.serviceBy]).toEqual(["DNS", "port"]);
  });

  test("texts are shared between flows and freed when no flow carries them", () => {
    const l = new FlowLabelColumns(8);
    for (let i = 0; i < 8; i++) l.set(i, { hostname: "cdn.example", srcDeviceId: `dev${i % 2}` });
    expect(l.interned).toBe(3);
    for (let i = 0; i < 7; i++) l.clear(i);
    expect(l.interned).toBe(2); // "cdn.example" and "dev1" (flow 7)
    l.set(7, { hostname: "other.example" });
    expect(l.interned).toBe(2);
    l.clear(7);
    expect(l.interned).toBe(0);
    // A freed id is reused for a new text without mixing them up.
    l.set(2, { hostname: "new.example" });
    const r = blank();
    l.apply(2, r);
    expect(r.hostname).toBe("new.example");
    expect(r.srcDeviceId).toBeNull();
    // The same text set again on a flow holds it once: the flow's end frees it.
    l.set(3, { hostname: "same.example" });
    l.set(3, { hostname: "same.example", srcDeviceId: null });
    expect(l.interned).toBe(2);
    l.clear(3);
    expect(l.interned).toBe(1);
  });

  test("a held id labels flows by number as set does by text, and keeps its text past the flows' end", () => {
    const l = new FlowLabelColumns(4);
    const host = l.hold("held.example");
    l.setId(0, "hostname", host);
    l.setId(1, "hostname", host);
    l.set(2, { hostname: "held.example" });
    expect(l.idOf(2, "hostname")).toBe(host);
    l.setId(1, "hostname", 0);
    const r = blank();
    l.apply(0, r);
    expect(r.hostname).toBe("held.example");
    l.apply(1, r);
    expect(r.hostname).toBeNull();
    for (let i = 0; i < 3; i++) l.clear(i);
    expect(l.interned).toBe(1);
    l.unhold(host);
    expect(l.interned).toBe(0);
  });

  test("a held service id sets the service and how it was found, as set does with its text", () => {
    const l = new FlowLabelColumns(2);
    const dns = l.hold("DNS");
    l.setServiceId(0, dns, "port");
    l.set(1, { service: "DNS", serviceBy: "port" });
    const byId = blank(), byText = blank();
    l.apply(0, byId);
    l.apply(1, byText);
    expect([byId.service, byId.serviceBy]).toEqual(["DNS", "port"]);
    expect(byId).toEqual(byText);
    l.clear(0);
    l.clear(1);
    expect(l.interned).toBe(1);
    l.unhold(dns);
    expect(l.interned).toBe(0);
  });
});
