import { ipv4Name, ipv6FromWords } from "../decode/addr.ts";
import { FlowLabelColumns } from "../flows/labels.ts";
import type { FlowTable } from "../flows/table.ts";
import { DeviceRegistry } from "./registry.ts";
import { DeviceState, macId, macNumber } from "./state.ts";
import { describe, expect, test } from "bun:test";
import type { Device } from "./model.ts";
import { arp, dhcp, flow, meta } from "./testkit.ts";
import { DeviceTracker, GATEWAY_MIN_REMOTE_IPS, LIVE_COUNT_SECONDS } from "./tracker.ts";

const PI = "b8:27:eb:11:22:33";
const ROUTER = "4c:5e:0c:ea:03:65";
const RANDOM_A = "92:dd:a4:8d:5f:de";
const RANDOM_B = "5a:11:22:33:44:55";

describe("DeviceTracker: discovery", () => {
  test("ARP sender becomes a device with vendor and address", () => {
    const t = new DeviceTracker();
    t.observe(arp(PI, "192.168.1.20"));
    const d = t.findByMac(PI)!;
    expect(d.id).toBe("b827eb112233");
    expect(d.ips).toEqual(["192.168.1.20"]);
    expect(d.vendor.value).toBe("Raspberry Pi");
    expect(d.isRandomizedMac).toBe(false);
    expect(t.findByIp("192.168.1.20")?.id).toBe(d.id);
    expect(t.deviceIdFor(PI.toUpperCase())).toBe(d.id);
  });

  test("a repeated ARP pair refreshes its device and still follows an address that moved", () => {
    const t = new DeviceTracker();
    const NAS = "00:11:32:17:49:f0";
    t.observe(arp(PI, "192.168.1.20", 1000));
    t.observe(arp(PI, "192.168.1.20", 1001));
    expect(t.findByMac(PI)!.lastSeen).toBe(1001);
    t.observe(arp(NAS, "192.168.1.20", 1002));
    expect(t.findByIp("192.168.1.20")!.mac).toBe(NAS);
    expect(t.findByMac(PI)!.ips).toEqual([]);
    // The Pi answers for the address again: it takes it back (the pair was seen before, the index changed since).
    t.observe(arp(PI, "192.168.1.20", 1003));
    expect(t.findByIp("192.168.1.20")!.mac).toBe(PI);
    expect(t.findByMac(PI)!).toMatchObject({ ips: ["192.168.1.20"], lastSeen: 1003 });
  });

  test("broadcast, multicast and zero MACs are never devices", () => {
    const t = new DeviceTracker();
    t.flowStarted(flow({ srcMac: "01:00:5e:00:00:fb", srcIp: "192.168.1.9", dstMac: "ff:ff:ff:ff:ff:ff" }));
    t.flowStarted(flow({ srcMac: "00:00:00:00:00:00", srcIp: "192.168.1.9" }));
    expect(t.list()).toHaveLength(0);
  });

  test("DHCP ACK gives the client its address; the server is the router", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: PI, hostname: "raspberrypi", parameterList: [1, 3, 6] }));
    t.observe(dhcp({ op: 2, messageType: 5, clientMac: PI, yourIp: "10.213.0.50", serverId: "10.213.0.1", router: ["10.213.0.1"] },
      { srcMac: ROUTER, srcIp: "10.213.0.1", dstMac: PI, dstIp: "10.213.0.50" }));
    expect(t.findByMac(PI)!.ips).toEqual(["10.213.0.50"]);
    expect(t.findByMac(PI)!.hostname).toBe("raspberrypi");
    const router = t.findByMac(ROUTER)!;
    expect(router.isGateway).toBe(true);
    expect(router.type.value).toBe("router");
    expect(router.ips).toEqual(["10.213.0.1"]);
  });

  test("relayed DHCP requests do not make the remote client a device", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: PI, relayIp: "10.213.5.1" }, { srcMac: ROUTER, srcIp: "10.213.5.1" }));
    expect(t.findByMac(PI)).toBeUndefined();
  });
});

describe("DeviceTracker: gateway", () => {
  test("the MAC carrying many remote addresses is one gateway device without them", () => {
    const t = new DeviceTracker();
    t.observe(arp(PI, "192.168.1.20"));
    t.observe(arp(ROUTER, "192.168.1.1"));
    const remotes = ["8.8.8.8", "1.1.1.1", "142.250.1.1", "17.253.1.1"];
    remotes.forEach((ip, i) => {
      const f = flow({ id: String(i), srcMac: PI, srcIp: "192.168.1.20", dstMac: ROUTER, dstIp: ip });
      t.flowStarted(f);
      t.flowEnded(f, "closed");
      // The reply direction: remote host -> device, framed by the router.
      t.flowStarted(flow({ id: "r" + i, srcMac: ROUTER, srcIp: ip, dstMac: PI, dstIp: "192.168.1.20" }));
    });
    const devices = t.list();
    expect(devices.map((d) => d.mac).sort()).toEqual([ROUTER, PI].sort());
    const gw = t.findByMac(ROUTER)!;
    expect(gw.isGateway).toBe(true);
    expect(gw.ips).toEqual(["192.168.1.1"]);
    for (const ip of remotes) expect(t.findByIp(ip)).toBeUndefined();
    expect(gw.evidence.some((e) => e.signal === "gateway")).toBe(true);
    expect(remotes.length).toBeGreaterThanOrEqual(GATEWAY_MIN_REMOTE_IPS);
  });

  test("one host's IPv6 temporary addresses in one /64 do not make it a gateway", () => {
    const t = new DeviceTracker();
    for (let i = 1; i <= 5; i++) {
      t.flowStarted(flow({ id: String(i), ipVersion: 6, srcMac: PI, srcIp: `2001:db8:5:1::${i}`, dstMac: ROUTER, dstIp: `2a00:1450:400${i}::1` }));
    }
    expect(t.findByMac(PI)!.isGateway).toBe(false);
    expect(t.findByMac(ROUTER)).toBeUndefined(); // it never sent anything
  });

  test("evidence from packets a gateway forwards is not the gateway's", () => {
    const t = new DeviceTracker();
    t.observe(arp(ROUTER, "192.168.1.1"));
    t.observe({
      kind: "http", meta: meta({ srcMac: ROUTER, srcIp: "93.184.216.34", ipProtocol: 6 }),
      msg: { isRequest: true, method: "GET", uri: "/", version: "1.1", userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" },
    });
    expect(t.findByMac(ROUTER)!.evidence.some((e) => e.signal === "http.user_agent")).toBe(false);
  });

  test("router advertisement marks the gateway and teaches the IPv6 prefix", () => {
    const t = new DeviceTracker();
    t.observe({
      kind: "ndp", meta: meta({ srcMac: ROUTER, srcIp: "fe80::1", ipVersion: 6, ipProtocol: 58 }),
      msg: { type: 134, routerLifetime: 1800, prefixes: ["fd00:213::/64"] },
    });
    t.observe({
      kind: "ndp", meta: meta({ srcMac: PI, srcIp: "fd00:213::20", ipVersion: 6, ipProtocol: 58 }),
      msg: { type: 136, targetAddress: "fd00:213::20", targetLinkAddress: PI },
    });
    expect(t.findByMac(ROUTER)!.isGateway).toBe(true);
    expect(t.findByMac(PI)!.ips).toEqual(["fd00:213::20"]);
  });
});

describe("DeviceTracker: randomized MACs", () => {
  test("same DHCP client id from a new random MAC is the same device", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff00112233445566", hostname: "Pixel-7" }));
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff00112233445566" }, { ts: 5000 }));
    const devices = t.list();
    expect(devices).toHaveLength(1);
    const d = devices[0]!;
    expect(d.id).toBe("92dda48d5fde");
    expect(d.macs.sort()).toEqual([RANDOM_A, RANDOM_B].sort());
    expect(d.mac).toBe(RANDOM_B);
    expect(d.isRandomizedMac).toBe(true);
    expect(t.deviceIdFor(RANDOM_B)).toBe(d.id);
    expect(t.stats.merges).toBe(1);
  });

  test("same hostname + same option-55 fingerprint is the same device", () => {
    const t = new DeviceTracker();
    const prl = [1, 121, 3, 6, 15, 119, 252];
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "01" + RANDOM_A.replace(/:/g, ""), hostname: "Lucas-iPhone", parameterList: prl }));
    t.observe(arp(RANDOM_A, "192.168.1.30"));
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "01" + RANDOM_B.replace(/:/g, ""), hostname: "Lucas-iPhone", parameterList: prl }, { ts: 9000 }));
    const d = t.findByMac(RANDOM_B)!;
    expect(d.macs).toHaveLength(2);
    expect(d.ips).toEqual(["192.168.1.30"]);
    expect(d.os.value).toBe("iOS");
    expect(t.list()).toHaveLength(1);
  });

  test("same DHCPv6 DUID from a new random MAC is the same device", () => {
    const t = new DeviceTracker();
    const solicit = (mac: string, ts: number) => ({
      kind: "dhcpv6" as const, meta: meta({ ts, srcMac: mac, srcIp: "fe80::1:2", ipVersion: 6 }),
      msg: { messageType: 1, transactionId: 7, clientId: "0001000129c5f1a2a4c3f0123456", fqdn: "Lucas-MBP.lan" },
    });
    t.observe(solicit(RANDOM_A, 1000));
    t.observe(solicit(RANDOM_B, 2000));
    expect(t.list()).toHaveLength(1);
    expect(t.findByMac(RANDOM_B)!.hostname).toBe("Lucas-MBP");
  });

  test("a flood of random MACs with one client id stays one bounded device", () => {
    const t = new DeviceTracker();
    for (let i = 0; i < 100; i++) {
      const mac = `5a:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
      t.observe(dhcp({ clientMac: mac, clientId: "ff04" }, { ts: 1000 + i }));
    }
    const d = t.list();
    expect(d).toHaveLength(1);
    expect(d[0]!.macs.length).toBe(16);
    expect(d[0]!.mac).toBe("5a:00:00:00:00:63");
    expect(t.findByMac("5a:00:00:00:00:05")).toBeUndefined();
    expect(t.stats.merges).toBe(99);
  });

  test("two real MACs with the same hostname and fingerprint stay two devices", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: PI, hostname: "raspberrypi", parameterList: [1, 3, 6] }));
    t.observe(dhcp({ clientMac: "b8:27:eb:99:88:77", hostname: "raspberrypi", parameterList: [1, 3, 6] }));
    expect(t.list()).toHaveLength(2);
  });
});

describe("DeviceTracker: events, flows, bounds, restore", () => {
  test("'new' once per device, updates coalesced to one per second", () => {
    const t = new DeviceTracker();
    const events: [string, boolean][] = [];
    t.onChange((d, isNew) => events.push([d.mac, isNew]));
    t.observe(arp(PI, "192.168.1.20", 1000));
    t.tick(1000);
    t.observe(dhcp({ clientMac: PI, hostname: "pi-one" }, { ts: 1000.2 }));
    t.observe(dhcp({ clientMac: PI, fqdn: "pi-one.lan" }, { ts: 1000.4 }));
    t.tick(1000.5);
    expect(events).toEqual([[PI, true]]);
    t.tick(1001);
    expect(events).toEqual([[PI, true], [PI, false]]);
    t.tick(1005);
    expect(events).toHaveLength(2);
  });

  test("a device merged away before the first tick never raises 'new'", () => {
    const t = new DeviceTracker();
    const events: [string, boolean][] = [];
    t.onChange((d, isNew) => events.push([d.id, isNew]));
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff01" }));
    t.tick(1000);
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff01" }, { ts: 1003 }));
    t.tick(1003);
    expect(events).toEqual([["92dda48d5fde", true], ["92dda48d5fde", false]]);
  });

  test("onMerge tells storage which device id is gone", () => {
    const t = new DeviceTracker();
    const merges: [string, string][] = [];
    t.onMerge((from, into) => merges.push([from, into]));
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff03" }));
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff03" }, { ts: 1003 }));
    expect(merges).toEqual([["5a1122334455", "92dda48d5fde"]]);
    expect(t.get("5a1122334455")).toBeUndefined();
  });

  test("flows count traffic for both ends and label local ends only", () => {
    const labels: Record<string, { srcDeviceId?: string; dstDeviceId?: string }> = {};
    const t = new DeviceTracker({ labelFlow: (id, patch) => { labels[id] = { ...labels[id], ...patch }; } });
    const NAS = "00:11:32:17:49:f0";
    t.observe(arp(PI, "192.168.1.20"));
    t.observe(arp(NAS, "192.168.1.5"));
    const f = flow({ id: "7", srcMac: PI, srcIp: "192.168.1.20", dstMac: NAS, dstIp: "192.168.1.5", packetsSent: 3, bytesSent: 300, packetsReceived: 2, bytesReceived: 900 });
    t.flowStarted(f);
    t.flowEnded(f, "closed");
    expect(labels["7"]).toEqual({ srcDeviceId: "b827eb112233", dstDeviceId: "0011321749f0" });
    const pi = t.findByMac(PI)!;
    const nas = t.findByMac(NAS)!;
    expect([pi.packetsSent, pi.bytesSent, pi.packetsReceived, pi.bytesReceived, pi.flowCount]).toEqual([3, 300, 2, 900, 1]);
    expect([nas.packetsSent, nas.bytesSent, nas.packetsReceived, nas.bytesReceived, nas.flowCount]).toEqual([2, 900, 3, 300, 1]);
    const out = flow({ id: "8", srcMac: PI, srcIp: "192.168.1.20", dstMac: NAS, dstIp: "8.8.8.8" });
    t.flowStarted(out);
    expect(labels["8"]).toEqual({ srcDeviceId: "b827eb112233" });
  });

  test("bounded: the least recently seen device is evicted and counted", () => {
    const t = new DeviceTracker({ maxDevices: 3 });
    for (let i = 0; i < 3; i++) t.observe(arp(`00:11:32:00:00:0${i}`, `192.168.1.${10 + i}`, 1000 + i));
    t.observe(arp("00:11:32:00:00:00", "192.168.1.10", 1010)); // seen again: now the newest
    t.observe(arp("00:11:32:00:00:09", "192.168.1.19", 1011));
    expect(t.size).toBe(3);
    expect(t.stats.evictions).toBe(1);
    expect(t.findByMac("00:11:32:00:00:01")).toBeUndefined();
    expect(t.findByIp("192.168.1.11")).toBeUndefined();
    expect(t.findByMac("00:11:32:00:00:00")).toBeDefined();
  });

  test("evidence per device is capped", () => {
    const t = new DeviceTracker();
    for (let i = 0; i < 200; i++) t.observe(dhcp({ clientMac: PI, hostname: `host-${i}` }, { ts: 1000 + i }));
    const d = t.findByMac(PI)!;
    expect(d.evidence.length).toBeLessThanOrEqual(64);
    expect(d.hostname).toBe("host-199");
  });

  test("restore brings devices back without 'new' events and keeps their identity", () => {
    const t1 = new DeviceTracker();
    t1.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff02", hostname: "tab" }));
    t1.observe(arp(RANDOM_A, "192.168.1.40"));
    const saved: Device[] = JSON.parse(JSON.stringify(t1.list()));
    const t2 = new DeviceTracker();
    const events: boolean[] = [];
    t2.onChange((_d, isNew) => events.push(isNew));
    t2.restore(saved);
    expect(t2.findByIp("192.168.1.40")?.id).toBe("92dda48d5fde");
    t2.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff02" }, { ts: 2000 }));
    t2.flush();
    expect(t2.list()).toHaveLength(1);
    expect(events).toEqual([false]);
  });
});

describe("traffic of flows in progress", () => {
  test("counters include active flows at each recount, and the ended totals after", () => {
    let active = [flow({ id: "1", srcMac: "b8:27:eb:00:00:01", srcIp: "192.168.1.20", dstMac: "00:1d:7e:00:00:01", dstIp: "93.184.216.34", packetsSent: 10, bytesSent: 1000, packetsReceived: 20, bytesReceived: 30000 })];
    const t = new DeviceTracker({ activeFlows: () => active });
    t.observe(arp("b8:27:eb:00:00:01", "192.168.1.20", 1000));
    t.tick(1000);
    const pi = () => t.findByMac("b8:27:eb:00:00:01")!;
    expect([pi().bytesSent, pi().bytesReceived, pi().flowCount]).toEqual([1000, 30000, 1]);
    // The download goes on: the next recount follows it, without counting the first part twice.
    active = [{ ...active[0], packetsSent: 15, bytesSent: 1500, packetsReceived: 40, bytesReceived: 60000 }];
    t.tick(1000 + LIVE_COUNT_SECONDS);
    expect([pi().bytesSent, pi().bytesReceived, pi().flowCount]).toEqual([1500, 60000, 1]);
    // It ends with its totals; once it is gone from the table the counters are exactly the totals.
    const ended = { ...active[0], packetsSent: 16, bytesSent: 1600, packetsReceived: 41, bytesReceived: 61000 };
    active = [];
    t.flowEnded(ended, "closed");
    t.tick(1000 + 2 * LIVE_COUNT_SECONDS);
    expect([pi().bytesSent, pi().bytesReceived, pi().flowCount]).toEqual([1600, 61000, 1]);
  });
});

describe("DeviceRegistry.ownerOf6", () => {
  test("finds by words exactly the IPv6 addresses byIp finds by the capture path's text, through moves and deletes", () => {
    const r = new DeviceRegistry();
    const a = new DeviceState("02:00:00:00:00:01", 0), b = new DeviceState("02:00:00:00:00:02", 0);
    const words = [[0xfd000213, 0, 0, 0x3d], [0xfe800000, 0, 0x11, 0x22], [0, 0, 0xffff, 0xc0a80105], [0x20010db8, 0, 0, 0], [0, 0, 0, 1]];
    for (const w of words) r.setIp(ipv6FromWords(w[0]!, w[1]!, w[2]!, w[3]!), a);
    // Texts the capture path never writes (upper case, leading zeros, written-out zeros) are byIp's only.
    r.setIp("FD00:213::3E", b);
    r.setIp("fd00:0213::3f", b);
    r.setIp("2001:db8:0:0:0:0:0:1", b);
    r.setIp(ipv6FromWords(0xfd000213, 0, 0, 0x3d), b);
    r.deleteIp(ipv6FromWords(0x20010db8, 0, 0, 0));
    const probe = [...words, [0xfd000213, 0, 0, 0x3e], [0xfd000213, 0, 0, 0x3f], [0x20010db8, 0, 0, 1]];
    for (const w of probe) {
      expect(r.ownerOf6(w[0]!, w[1]!, w[2]!, w[3]!)).toBe(r.byIp.get(ipv6FromWords(w[0]!, w[1]!, w[2]!, w[3]!)));
    }
    expect(r.ownerOf6(0xfd000213, 0, 0, 0x3d)).toBe(b);
    expect(r.ownerOf6(0xfe800000, 0, 0x11, 0x22)).toBe(a);
  });
});

/** The part of a FlowTable the numeric flow hooks read: IPv4 flows set by hand, labels kept as the table keeps them. */
function flowTableStub(capacity: number) {
  const flows = new Map<number, { imac: number; rmac: number; i4: number; r4: number; ts: number }>();
  const labels = new FlowLabelColumns(capacity);
  const table = {
    capacity, labels, ids: Float64Array.from({ length: capacity }, (_, i) => i + 100),
    firstSeenOf: (i: number) => flows.get(i)!.ts, lastSeenOf: (i: number) => flows.get(i)!.ts,
    initiatorMac: (i: number) => flows.get(i)!.imac, responderMac: (i: number) => flows.get(i)!.rmac,
    initiatorIp4: (i: number) => flows.get(i)!.i4, responderIp4: (i: number) => flows.get(i)!.r4,
    initiatorIp: (i: number) => ipv4Name(flows.get(i)!.i4), responderIp: (i: number) => ipv4Name(flows.get(i)!.r4),
    ipWord: () => 0, packetsOf: () => 1, bytesOf: () => 100,
  };
  return { table: table as unknown as FlowTable, labels, flows };
}

describe("DeviceTracker: numeric flow hooks", () => {
  test("a flow end relabels only when its device changed since the start (merged into another)", () => {
    const { table, labels, flows } = flowTableStub(8);
    const calls: number[] = [];
    const t = new DeviceTracker({ labelFlowAt: (i, patch) => { calls.push(i); labels.set(i, patch); } });
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff00112233445566", hostname: "Pixel-7" }));
    // Flow 0: from RANDOM_B (not yet known as the same phone), flow 1: from the Pi; both to a remote host.
    t.observe(arp(PI, "192.168.1.20"));
    flows.set(0, { imac: macNumber(RANDOM_B), rmac: -1, i4: 0xc0a8011e, r4: 0x08080808, ts: 1000 });
    flows.set(1, { imac: macNumber(PI), rmac: -1, i4: 0xc0a80114, r4: 0x08080808, ts: 1000 });
    t.flowStartedAt(table, 0);
    t.flowStartedAt(table, 1);
    expect(labels.textOf(0, "srcDeviceId")).toBe(macId(RANDOM_B));
    expect(labels.textOf(1, "srcDeviceId")).toBe(macId(PI));
    expect(calls).toEqual([0, 1]);
    // RANDOM_B turns out to be the same phone: folded into RANDOM_A's device, which takes its address.
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff00112233445566" }, { ts: 1005 }));
    flows.get(0)!.ts = flows.get(1)!.ts = 1010;
    t.flowEndedAt(table, 0);
    t.flowEndedAt(table, 1);
    expect(labels.textOf(0, "srcDeviceId")).toBe(macId(RANDOM_A));
    expect(labels.textOf(1, "srcDeviceId")).toBe(macId(PI));
    // The Pi's flow was labeled already: its end sets nothing.
    expect(calls).toEqual([0, 1, 0]);
  });
});

describe("DeviceTracker: labels set in the table by held ids (labelsInTable)", () => {
  /** Flows 0-4 from the Pi, a phone and the router's MAC, started and ended as the table would run them. */
  const run = (inTable: boolean) => {
    const { table, labels, flows } = flowTableStub(8);
    const calls: number[] = [];
    const t = new DeviceTracker({ labelFlowAt: (i, patch) => { calls.push(i); labels.set(i, patch); }, labelsInTable: inTable });
    t.observe(arp(PI, "192.168.1.20"));
    t.observe(dhcp({ clientMac: RANDOM_A, clientId: "ff00112233445566", hostname: "Pixel-7" }));
    t.observe(arp(RANDOM_A, "192.168.1.30"));
    flows.set(0, { imac: macNumber(PI), rmac: macNumber(RANDOM_A), i4: 0xc0a80114, r4: 0xc0a8011e, ts: 1000 });
    flows.set(1, { imac: macNumber(PI), rmac: macNumber(ROUTER), i4: 0xc0a80114, r4: 0x08080808, ts: 1000 });
    flows.set(2, { imac: macNumber(RANDOM_A), rmac: -1, i4: 0xc0a8011e, r4: 0x01010101, ts: 1001 });
    flows.set(3, { imac: macNumber(ROUTER), rmac: macNumber(PI), i4: 0x08080808, r4: 0xc0a80114, ts: 1002 });
    // Flow 4 from RANDOM_B, which turns out to be the phone's new MAC before the flow ends (merged).
    flows.set(4, { imac: macNumber(RANDOM_B), rmac: -1, i4: 0xc0a80128, r4: 0x08080808, ts: 1003 });
    const seen: (string | null)[] = [];
    for (let i = 0; i < 5; i++) t.flowStartedAt(table, i);
    seen.push(labels.textOf(4, "srcDeviceId"));
    t.observe(dhcp({ clientMac: RANDOM_B, clientId: "ff00112233445566" }, { ts: 1005 }));
    for (let i = 0; i < 5; i++) {
      t.flowEndedAt(table, i);
      seen.push(labels.textOf(i, "srcDeviceId"), labels.textOf(i, "dstDeviceId"));
      labels.clear(i);
    }
    return { seen, calls, labels, t };
  };

  test("flows carry the labels labelFlowAt's patches give them, and labelFlowAt is not called", () => {
    const byPatch = run(false), inTable = run(true);
    expect(byPatch.seen).toEqual([macId(RANDOM_B), macId(PI), macId(RANDOM_A), macId(PI), null, macId(RANDOM_A), null, null, macId(PI), macId(RANDOM_A), null]);
    expect(inTable.seen).toEqual(byPatch.seen);
    expect(byPatch.calls.length).toBeGreaterThan(0);
    expect(inTable.calls).toEqual([]);
  });

  test("a device's own address remembered from one flow is asked again once the address moved (the next flow takes it back)", () => {
    const { table, labels, flows } = flowTableStub(4);
    const t = new DeviceTracker({ labelFlowAt: (i, patch) => labels.set(i, patch), labelsInTable: true });
    const NAS = "00:11:32:17:49:f0";
    t.observe(arp(PI, "192.168.1.20", 1000));
    flows.set(0, { imac: macNumber(PI), rmac: -1, i4: 0xc0a80114, r4: 0x08080808, ts: 1001 });
    t.flowStartedAt(table, 0);
    t.flowEndedAt(table, 0);
    labels.clear(0);
    t.observe(arp(NAS, "192.168.1.20", 1002));
    expect(t.findByIp("192.168.1.20")!.mac).toBe(NAS);
    flows.set(1, { imac: macNumber(PI), rmac: -1, i4: 0xc0a80114, r4: 0x08080808, ts: 1003 });
    t.flowStartedAt(table, 1);
    expect(t.findByIp("192.168.1.20")!.mac).toBe(PI);
    expect(labels.textOf(1, "srcDeviceId")).toBe(macId(PI));
  });

  test("a device's held id text is freed when the device is evicted", () => {
    const { table, labels, flows } = flowTableStub(4);
    const t = new DeviceTracker({ maxDevices: 1, labelFlowAt: (i, patch) => labels.set(i, patch), labelsInTable: true });
    t.observe(arp(PI, "192.168.1.20"));
    flows.set(0, { imac: macNumber(PI), rmac: -1, i4: 0xc0a80114, r4: 0x08080808, ts: 1000 });
    t.flowStartedAt(table, 0);
    t.flowEndedAt(table, 0);
    labels.clear(0);
    expect(labels.interned).toBe(1);
    t.observe(arp(RANDOM_A, "192.168.1.30", 1001));
    expect(t.size).toBe(1);
    expect(labels.interned).toBe(0);
  });
});

describe("traffic of flows in progress, read from the flow table", () => {
  test("counting the table's flows by MAC number gives every device event the MAC texts of forEachTraffic give", async () => {
    const { Engine } = await import("../engine/engine.ts");
    const { analyzeFile } = await import("../engine/analyze.ts");
    const run = async (byTable: boolean) => {
      const engine = new Engine({});
      const t = new DeviceTracker({
        labelFlowAt: (i, patch) => engine.flows.labelAt(i, patch),
        ...(byTable ? { activeFlowTable: () => engine.flows } : { activeTraffic: (visit) => engine.flows.forEachTraffic(visit) }),
      });
      const events: string[] = [];
      t.onChange((d) => events.push(`${d.id} ${d.packetsSent} ${d.bytesSent} ${d.packetsReceived} ${d.bytesReceived} ${d.flowCount}`));
      engine.addAnalyzer(t);
      await analyzeFile(`${import.meta.dir}/../../samples/home-lab.pcap`, { engine, collectFlows: false });
      t.flush();
      return events;
    };
    const byText = await run(false), byNumber = await run(true);
    expect(byText.length).toBeGreaterThan(10);
    expect(byNumber).toEqual(byText);
  });
});
