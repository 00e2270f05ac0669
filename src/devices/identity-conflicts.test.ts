/** Identity that does not contradict its evidence (issue 12): stronger evidence wins, conflicts show, behaviour is not identity. */
import { describe, expect, test } from "bun:test";
import { classify } from "./classify.ts";
import type { Evidence } from "./model.ts";
import { dhcp, meta } from "./testkit.ts";
import { DeviceTracker } from "./tracker.ts";

const ev = (signal: string, value: string): Evidence => ({ signal, value, firstSeen: 0, lastSeen: 0 });
const LAPTOP = "d8:30:62:56:00:1c"; // an Apple OUI
const PI = "b8:27:eb:12:34:56"; // Raspberry Pi Foundation
const ROUTER = "00:11:22:33:44:01";

describe("identity conflicts", () => {
  test("an OS the device names in its SSH server banner outweighs a DHCP vendor class; the disagreement shows", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: LAPTOP, vendorClass: "MSFT 5.0", hostname: "work-laptop" }));
    t.observe({
      kind: "sshBanner", meta: meta({ srcMac: LAPTOP, srcIp: "192.168.1.40", srcPort: 22, dstPort: 51000, ipProtocol: 6, fromInitiator: false }),
      msg: { banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3" },
    });
    const d = t.findByMac(LAPTOP)!;
    expect(d.vendor.value).toBe("Apple");
    expect(d.os.value).toBe("Linux");
    expect(d.os.confidence).toBeLessThan(0.5);
    const conflict = d.evidence.find((e) => e.signal === "conflict.os")!;
    expect(conflict.value).toContain("ssh.banner: SSH-2.0-OpenSSH_9.2p1 Debian");
    expect(conflict.value).toContain("Windows (dhcp.vendor_class: MSFT 5.0)");
  });

  test("a User-Agent naming the OS outweighs the vendor class too; agreeing evidence is no conflict", () => {
    const c = classify([ev("dhcp.vendor_class", "MSFT 5.0"), ev("http.user_agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15")]);
    expect(c.os.value).toBe("macOS");
    expect(c.conflicts.map((x) => `${x.label} ${x.chosen} ${x.other}`)).toEqual(["os macOS Windows"]);
    const agree = classify([ev("dhcp.vendor_class", "MSFT 5.0"), ev("http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120")]);
    expect(agree.os).toEqual({ value: "Windows", confidence: expect.any(Number) });
    expect(agree.os.confidence).toBeGreaterThan(0.9);
    expect(agree.conflicts).toEqual([]);
  });

  test("a Raspberry Pi that offers itself as DHCP server and router stays a Raspberry Pi; the role is shown as a conflict", () => {
    const t = new DeviceTracker();
    // The real router leases first, then the Pi answers DHCP naming itself as the router (dnsmasq on the Pi).
    t.observe(dhcp({ op: 2, messageType: 5, clientMac: "02:00:00:00:00:09", yourIp: "192.168.1.50", serverId: "192.168.1.1", router: ["192.168.1.1"] },
      { srcMac: ROUTER, srcIp: "192.168.1.1", srcPort: 67, dstPort: 68 }));
    t.observe(dhcp({ clientMac: PI, hostname: "raspberrypi", vendorClass: "dhcpcd-9.4.1:Linux-6.1.21-v8+:aarch64:BCM2835" }));
    t.observe(dhcp({ op: 2, messageType: 2, clientMac: "02:00:00:00:00:0a", yourIp: "192.168.1.201", serverId: "192.168.1.66", router: ["192.168.1.66"] },
      { srcMac: PI, srcIp: "192.168.1.66", srcPort: 67, dstPort: 68 }));
    const pi = t.findByMac(PI)!;
    expect(pi.vendor.value).toBe("Raspberry Pi");
    expect(pi.type.value).toBe("computer");
    expect(pi.type.confidence).toBeLessThan(0.5);
    expect(pi.evidence.find((e) => e.signal === "conflict.type")!.value).toMatch(/^computer \(oui: Raspberry Pi.*\) vs router \((gateway|dhcp\.server)/);
    // A box that is nothing in particular and serves DHCP and routes is the router.
    expect(t.findByMac(ROUTER)!.type.value).toBe("router");
  });

  test("without the contradicting evidence there is no conflict", () => {
    const t = new DeviceTracker();
    t.observe(dhcp({ clientMac: LAPTOP, vendorClass: "MSFT 5.0" }));
    t.observe({
      kind: "sshBanner", meta: meta({ srcMac: LAPTOP, srcIp: "192.168.1.40", srcPort: 22, ipProtocol: 6, fromInitiator: false }),
      msg: { banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2" },
    });
    expect(t.findByMac(LAPTOP)!.evidence.some((e) => e.signal === "conflict.os")).toBe(true);
    const c = classify(t.findByMac(LAPTOP)!.evidence.filter((e) => e.signal !== "dhcp.vendor_class"));
    expect(c.conflicts).toEqual([]);
  });
});
