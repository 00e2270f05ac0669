/** Device names on the page: a user's name first, look-alikes told apart by the end of their address. */
import { expect, test } from "bun:test";
// @ts-ignore: a browser module (plain JS); Names and tail touch no DOM
import { Names, tail } from "./render.client.js";

const dev = (id: string, name: string | null, ips: string[], mac = `aa:bb:cc:dd:${id.slice(-4, -2)}:${id.slice(-2)}`, hostname: string | null = null) =>
  ({ id, mac, ips, hostname, name: { value: name, confidence: 0.5 }, vendor: { value: "Intel", confidence: 0.9 } });

test("look-alikes get the end of their IPv4 address, else of their MAC; unique names stay as they are", () => {
  const devices = new Map([
    ["a1", dev("0000000000a1", "Intel computer", ["192.168.1.23"])],
    ["a2", dev("0000000000a2", "Intel computer", ["fe80::1", "192.168.1.41"])],
    ["a3", dev("0000000000a3", "Intel computer", ["fe80::2"], "aa:bb:cc:dd:3a:4f")],
    ["b1", dev("0000000000b1", "Anna's phone", ["192.168.1.50"])],
    ["c1", dev("0000000000c1", null, [], "aa:bb:cc:00:00:01", "printer")],
  ].map(([k, v]) => [k as string, v]));
  const names = new Names(devices);
  expect(names.name(devices.get("a1"))).toBe("Intel computer · .23");
  expect(names.name(devices.get("a2"))).toBe("Intel computer · .41");
  expect(names.name(devices.get("a3"))).toBe("Intel computer · …3a:4f");
  expect(names.name(devices.get("b1"))).toBe("Anna's phone");
  expect(names.name(devices.get("c1"))).toBe("printer"); // no name: the host name
  expect(names.deviceOf("192.168.1.41")?.id).toBe("0000000000a2");
  expect(names.deviceOf("10.0.0.1")).toBeUndefined();
  expect(tail({ ips: [], mac: "aa:bb:cc:dd:ee:ff" })).toBe("…ee:ff");
});

test("the names' key changes with a name, an address or a device, not with traffic or times", () => {
  const a = dev("0000000000a1", "Intel computer", ["192.168.1.23"]);
  const key = (...ds: any[]) => new Names(new Map(ds.map((d) => [d.id, d]))).key;
  const base = key(a);
  expect(key({ ...a, lastSeen: "2026-12-08T01:00:00Z", bytesSent: 1234 })).toBe(base);
  expect(key({ ...a, name: { value: "Office PC", confidence: 1 } })).not.toBe(base);
  expect(key({ ...a, ips: ["192.168.1.24"] })).not.toBe(base);
  expect(key(a, dev("0000000000a2", "Intel computer", ["192.168.1.41"]))).not.toBe(base);
});
