import { describe, expect, test } from "bun:test";
import { decode } from "../decode/testing/fixture.ts";
import { ethernet, ipv4, ipv6, tcp, udp, SYN, ACK, FIN, RST } from "../decode/testing/frames.ts";
import { FlowTable, type EndReason } from "./table.ts";

const A = "192.168.1.10", B = "93.184.216.34";
const seg = (src: string, dst: string, sport: number, dport: number, flags: number, len = 0, ts = 1000) =>
  decode(ethernet({ type: 0x0800, src: src === A ? "02:aa:00:00:00:01" : "02:bb:00:00:00:02", dst: src === A ? "02:bb:00:00:00:02" : "02:aa:00:00:00:01" },
    ipv4({ src, dst, proto: 6 }, tcp({ sport, dport, flags }, new Uint8Array(len)))), 1, ts);

describe("flow table", () => {
  test("both directions of a TCP connection are one flow; the SYN sender is the source", () => {
    const t = new FlowTable();
    const i1 = t.update(seg(A, B, 50000, 443, SYN));
    const i2 = t.update(seg(B, A, 443, 50000, SYN | ACK));
    const i3 = t.update(seg(A, B, 50000, 443, ACK, 100));
    expect(i1).toBe(i2);
    expect(i2).toBe(i3);
    const f = t.record(i1);
    expect([f.srcIp, f.srcPort, f.dstIp, f.dstPort]).toEqual([A, 50000, B, 443]);
    expect([f.packetsSent, f.packetsReceived]).toEqual([2, 1]);
    expect(f.bytesSent).toBe(54 + 154);
    expect(f.tcpState).toBe("established");
    expect(f.tcpFlags).toBe("SA");
    expect(f.srcMac).toBe("02:aa:00:00:00:01");
  });

  test("a capture that starts at the SYN+ACK still makes the SYN's sender the initiator", () => {
    const t = new FlowTable();
    const i = t.update(seg(B, A, 443, 50000, SYN | ACK));
    const f = t.record(i);
    expect([f.srcIp, f.dstIp, f.packetsSent, f.packetsReceived]).toEqual([A, B, 0, 1]);
    expect(f.srcMac).toBe("02:aa:00:00:00:01");
  });

  test("TCP states: attempt, closed by FIN both ways, reset", () => {
    const t = new FlowTable();
    const i = t.update(seg(A, B, 1, 80, SYN));
    expect(t.record(i).tcpState).toBe("attempt");
    t.update(seg(B, A, 80, 1, SYN | ACK));
    t.update(seg(A, B, 1, 80, FIN | ACK));
    expect(t.record(i).tcpState).toBe("established");
    t.update(seg(B, A, 80, 1, FIN | ACK));
    expect(t.record(i).tcpState).toBe("closed");
    expect(t.record(i).status).toBe("closed");
    const r = t.update(seg(A, B, 2, 80, SYN));
    t.update(seg(B, A, 80, 2, RST | ACK));
    expect(t.record(r).tcpState).toBe("reset");
  });

  test("idle timeouts per state end flows with a reason", () => {
    const ended: [string, EndReason][] = [];
    const t = new FlowTable({ timeouts: { udp: 60, tcpClosed: 15, tcpEstablished: 300 }, onEnd: (i, r) => ended.push([t.record(i).protocol, r]) });
    t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: "8.8.8.8", proto: 17 }, udp({ sport: 5000, dport: 53 }))), 1, 1000));
    const c = t.update(seg(A, B, 3, 80, SYN, 0, 1000));
    t.update(seg(B, A, 80, 3, SYN | ACK, 0, 1000));
    t.update(seg(A, B, 3, 80, RST, 0, 1000));
    expect(t.expire(1010)).toBe(0);
    expect(t.expire(1016)).toBe(1); // the reset TCP flow after 15 s
    expect(t.expire(1061)).toBe(1); // the UDP flow after 60 s
    expect(ended).toEqual([["TCP", "closed"], ["UDP", "idle"]]);
    expect(t.size).toBe(0);
    expect(t.inUse[c]).toBe(0);
  });

  test("ids are unique and stable, lookups by id work, ended ids are gone", () => {
    const t = new FlowTable({ firstId: 500 });
    const a = t.update(seg(A, B, 10, 80, SYN));
    const b = t.update(seg(A, B, 11, 80, SYN));
    expect([t.record(a).id, t.record(b).id]).toEqual(["500", "501"]);
    expect(t.get("501")?.srcPort).toBe(11);
    t.end(a, "idle");
    expect(t.get("500")).toBeUndefined();
    const c = t.update(seg(A, B, 12, 80, SYN));
    expect(t.record(c).id).toBe("502");
  });

  test("a full table evicts the least recently seen flows and counts them", () => {
    const t = new FlowTable({ maxFlows: 64, timeouts: { udp: 1e9 } });
    for (let i = 0; i < 200; i++) {
      t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 1000 + i, dport: 53 }))), 1, 1000 + i));
    }
    expect(t.size).toBeLessThanOrEqual(64);
    expect(t.evictions).toBe(t.created - t.size);
    expect(t.created).toBe(200);
    // The newest flow survived.
    expect(t.active().some((f) => f.srcPort === 1199)).toBe(true);
  });

  test("the open-addressing index stays consistent under heavy churn (model check against a Map)", () => {
    const t = new FlowTable({ maxFlows: 256, timeouts: { udp: 1e9 } });
    const model = new Map<number, number>(); // port -> flow index
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 400;
    for (let step = 0; step < 20000; step++) {
      const port = rnd();
      const known = model.get(port);
      if (known !== undefined && step % 3 === 0) {
        t.end(known, "idle");
        model.delete(port);
        continue;
      }
      if (known === undefined && model.size >= 250) continue;
      const idx = t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: port, dport: 9 }))), 1, 1000));
      if (known !== undefined) expect(idx).toBe(known);
      model.set(port, idx);
    }
    expect(t.size).toBe(model.size);
    for (const [port, idx] of model) expect(t.record(idx).srcPort).toBe(port);
  });

  test("IPv6 flows and VLANs are part of the key", () => {
    const t = new FlowTable();
    const v6 = (vlan: number[]) => decode(ethernet({ type: 0x86dd, vlans: vlan }, ipv6({ src: "2001:db8::1", dst: "2001:db8::2", next: 17 }, udp({ sport: 1, dport: 2 }))));
    const a = t.update(v6([]));
    const b = t.update(v6([10]));
    expect(a).not.toBe(b);
    expect(t.record(b).vlan).toBe(10);
    expect(t.record(a).srcIp).toBe("2001:db8::1");
  });

  test("expiry by timer wheel ends exactly the flows a full sweep would, tick by tick (model check)", () => {
    const timeouts = { udp: 7, tcpAttempt: 4, tcpEstablished: 20, tcpClosed: 2, other: 9 };
    const ended: number[] = [];
    const t = new FlowTable({ maxFlows: 512, timeouts, onEnd: (i) => ended.push(t.ids[i]) });
    let seed = 3;
    const rnd = (m: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % m;
    let now = 5000;
    for (let step = 0; step < 4000; step++) {
      now += rnd(4) === 0 ? rnd(300) / 100 : 0.01;
      const port = 1000 + rnd(300);
      if (rnd(2) === 0) {
        t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: port, dport: 53 }))), 1, now));
      } else {
        const flags = [SYN, SYN | ACK, ACK, FIN | ACK, RST][rnd(5)];
        t.update(rnd(2) ? seg(A, B, port, 80, flags, 0, now) : seg(B, A, 80, port, flags, 0, now));
      }
      if (rnd(20) === 0) {
        const expected: number[] = [];
        t.forEachActive((i) => {
          if (now - t.lastSeenOf(i) > t.timeoutOf(i)) expected.push(t.ids[i]);
        });
        ended.length = 0;
        expect(t.expire(now)).toBe(expected.length);
        expect(ended.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      }
    }
  });

  test("flows with packets since the last look are listed once each; ended ones are skipped", () => {
    const t = new FlowTable();
    const a = t.update(seg(A, B, 1, 80, SYN));
    const b = t.update(seg(A, B, 2, 80, SYN));
    t.update(seg(B, A, 80, 1, SYN | ACK));
    const seen: number[] = [];
    t.takeTouched((i) => seen.push(i));
    expect(seen.sort()).toEqual([a, b].sort());
    seen.length = 0;
    t.update(seg(A, B, 2, 80, ACK));
    t.takeTouched((i) => seen.push(i));
    expect(seen).toEqual([b]);
    seen.length = 0;
    t.update(seg(A, B, 1, 80, ACK));
    t.end(a, "closed");
    t.takeTouched((i) => seen.push(i));
    expect(seen).toEqual([]);
  });

  test("the packet shape keeps signed payload lengths of the first payload packets, from the IP length", () => {
    const t = new FlowTable();
    const i = t.update(seg(A, B, 22000, 22, SYN));
    t.update(seg(B, A, 22, 22000, SYN | ACK));
    t.update(seg(A, B, 22000, 22, ACK, 21));
    t.update(seg(B, A, 22, 22000, ACK, 40));
    t.update(seg(A, B, 22000, 22, ACK)); // no payload: not part of the shape
    t.update(seg(A, B, 22000, 22, ACK, 96));
    expect(t.record(i).shape).toEqual([21, -40, 96]);
    // A frame cut by the snap length still counts with the length its IP header gives.
    const frame = ethernet({ type: 0x0800, src: "02:aa:00:00:00:01", dst: "02:bb:00:00:00:02" },
      ipv4({ src: A, dst: B, proto: 6 }, tcp({ sport: 22000, dport: 22, flags: ACK }, new Uint8Array(500))));
    t.update(decode(frame.subarray(0, 100), 1, 1001));
    expect(t.record(i).shape).toEqual([21, -40, 96, 500]);
    for (let k = 0; k < 40; k++) t.update(seg(B, A, 22, 22000, ACK, 10));
    expect(t.record(i).shape).toHaveLength(32);
    expect(t.record(i).shape?.[31]).toBe(-10);
    // A new flow in a reused slot starts with an empty shape.
    t.end(i, "closed");
    const j = t.update(seg(A, B, 22001, 22, SYN));
    expect(j).toBe(i);
    expect(t.record(j).shape).toEqual([]);
  });

  test("after endAll the table is empty and works as new: flows are found again, expire, and end once", () => {
    const ended: string[] = [];
    const t = new FlowTable({ timeouts: { udp: 60 }, onEnd: (i, r) => ended.push(`${t.record(i).srcPort}:${r}`) });
    const udpAt = (sport: number, ts: number) =>
      t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport, dport: 53 }))), 1, ts));
    for (let port = 1; port <= 50; port++) udpAt(port, 1000);
    t.endAll();
    expect(ended).toHaveLength(50);
    expect(t.size).toBe(0);
    expect(t.expire(5000)).toBe(0); // nothing left on the wheel
    ended.length = 0;
    const a = udpAt(7, 5000);
    expect(t.lastIsNew).toBe(true);
    expect(udpAt(7, 5001)).toBe(a); // found through the key index
    expect(t.lastIsNew).toBe(false);
    expect(t.get(t.record(a).id)?.srcPort).toBe(7);
    expect(t.expire(5062)).toBe(1);
    expect(ended).toEqual(["7:idle"]);
  });

  test("a hook that throws in endAll leaves the flows it did not reach in the index and on the wheel", () => {
    let calls = 0;
    const t = new FlowTable({ timeouts: { udp: 60 }, onEnd: () => { if (++calls === 3) throw new Error("hook"); } });
    const udpAt = (sport: number, ts: number) =>
      t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport, dport: 53 }))), 1, ts));
    for (let port = 1; port <= 10; port++) udpAt(port, 1000);
    expect(() => t.endAll()).toThrow("hook");
    expect(t.size).toBe(8); // two ended before the hook threw on the third
    const before = t.created;
    for (let port = 3; port <= 10; port++) udpAt(port, 1001);
    expect(t.created).toBe(before); // every remaining flow was found, none made again
    expect(t.expire(1062)).toBe(8);
    expect(t.size).toBe(0);
  });

  test("texts are made once per flow, follow a MAC learnt later and are dropped when the flow ends", () => {
    const t = new FlowTable({ firstId: 2 ** 31 + 5 });
    const i = t.update(decode(ethernet({ type: 0x0800 }, ipv4({ src: A, dst: B, proto: 17 }, udp({ sport: 1, dport: 53 }))), 1, 1000));
    expect(t.idText(i)).toBe(String(2 ** 31 + 5));
    expect(t.initiatorIp(i)).toBe(A);
    expect(t.initiatorIp(i)).toBe(t.initiatorIp(i));
    expect(t.responderIp(i)).toBe(B);
    expect(t.initiatorMacText(i)).toBe("02:00:00:00:00:01");
    t.end(i, "idle");
    const j = t.update(seg(B, A, 443, 50000, ACK));
    expect(j).toBe(i);
    expect([t.initiatorIp(j), t.responderIp(j), t.idText(j)]).toEqual([B, A, String(2 ** 31 + 6)]);
    expect(t.initiatorMacText(j)).toBe("02:bb:00:00:00:02");
    const v6 = t.update(decode(ethernet({ type: 0x86dd }, ipv6({ src: "fe80::1", dst: "fe80::2", next: 17 }, udp({ sport: 5, dport: 6 }))), 1, 1000));
    expect(t.initiatorIp(v6)).toBe("fe80::1");
    expect(t.record(v6).srcMac).toBe(t.initiatorMacText(v6));
    // Raw IP (link type 101): no MACs until someone learns one.
    const raw = t.update(decode(ipv4({ src: A, dst: "10.0.0.9", proto: 17 }, udp({ sport: 9, dport: 9 })), 101, 1000));
    expect([t.initiatorMacText(raw), t.responderMacText(raw)]).toEqual([null, null]);
    t.setMacIfUnknown(raw, 1, 0x02bb00000002);
    expect([t.initiatorMacText(raw), t.responderMacText(raw)]).toEqual([null, "02:bb:00:00:00:02"]);
  });
});
