/**
 * Golden tests for device discovery and fingerprinting on the shared corpus: OS per DHCP client
 * (MANIFEST names them), IoT Sentinel ground-truth MACs with their vendors, mDNS / SSDP / NetBIOS /
 * LLMNR names and types, gateways, and p0f's OS hints for the same SYNs.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { classify } from "../src/devices/classify.ts";
import type { Device } from "../src/devices/model.ts";
import { DeviceTracker } from "../src/devices/tracker.ts";
import { analyzeFile } from "../src/engine/analyze.ts";

const PCAPS = path.resolve(import.meta.dir, "..", "../shared/pcaps");
const present = existsSync(path.join(PCAPS, "MANIFEST.tsv"));
if (!present) console.warn(`corpus-devices skipped: ${PCAPS} is absent (CI provides ../shared/pcaps)`);

const cache = new Map<string, Promise<DeviceTracker>>();
function devicesOf(rel: string): Promise<DeviceTracker> {
  let p = cache.get(rel);
  if (!p) {
    p = (async () => {
      const tracker = new DeviceTracker();
      await analyzeFile(path.join(PCAPS, rel), { analyzers: [tracker], collectFlows: false });
      tracker.flush();
      return tracker;
    })();
    cache.set(rel, p);
  }
  return p;
}

async function device(rel: string, mac: string): Promise<Device> {
  const d = (await devicesOf(rel)).findByMac(mac);
  if (!d) throw new Error(`${rel}: no device ${mac}`);
  return d;
}

/** DHCP clients and the OS family MANIFEST.tsv gives for them. */
const DHCP_CLIENTS: [file: string, mac: string, os: string, hostname: string | null][] = [
  ["dhcp/ndpi_1kxun.pcap", "48:d2:24:63:0a:de", "Windows", "kevin-PC"],
  ["dhcp/ndpi_1kxun.pcap", "70:f1:a1:f8:2a:fd", "Windows", "Joanna-PC"],
  ["dhcp/ndpi_1kxun.pcap", "60:c5:47:05:bc:8c", "macOS", "MacBook-Air"],
  ["dhcp/ndpi_1kxun.pcap", "70:3e:ac:f0:f0:07", "iOS", "Shen"],
  ["dhcp/ndpi_1kxun.pcap", "bc:ee:7b:0c:b3:de", "Android", "android-f7ca0f571270c52d"],
  ["dhcp/ndpi_1kxun.pcap", "e0:ca:94:6b:96:44", "Linux", "sanji-LIFEBOOK-LH531"],
  ["dhcp/ndpi_android.pcap", "4c:6a:f6:9f:f6:27", "Android", null],
  ["dhcp/ndpi_android.pcap", "d8:30:62:56:00:1c", "macOS", "Lucas-iMac"],
  ["dhcp/ndpi_gnutella.pcap", "08:00:27:e6:e5:59", "Windows", "MSEDGEWIN10"],
  ["dhcp/ndpi_iphone.pcap", "c4:61:8b:35:82:a9", "iOS", "Lucas-iPhone"],
  ["dhcp/ndpi_iphone.pcap", "d8:30:62:56:00:1c", "macOS", "Lucas-iMac"],
  ["dhcp/ndpi_teams.pcap", "00:80:8f:9a:ae:bd", "Linux", "pi3"], // Raspbian
  ["dhcp/suri_dhcp-eve-extended.pcap", "00:11:32:17:49:f0", "Linux", "nas1"],
  ["dhcp/suri_dhcp-option-52-overload.pcap", "92:dd:a4:8d:5f:de", "Linux", null], // BusyBox udhcp
  ["dhcp/zeek_dhcp_time_and_nameserver.pcap", "00:90:f5:91:cd:1f", "Linux", "pop-os"], // Pop!_OS
];

describe.skipIf(!present)("corpus devices: DHCP clients", () => {
  for (const [file, mac, os, hostname] of DHCP_CLIENTS) {
    test(`${file} ${mac} is ${os}`, async () => {
      const d = await device(file, mac);
      expect(d.os.value).toBe(os);
      expect(d.os.confidence).toBeGreaterThan(0.3);
      expect(d.hostname).toBe(hostname);
      expect(d.isGateway).toBe(false);
    });
  }
  test("the iPhone is a phone, the Macs are computers, the BusyBox MAC is randomized", async () => {
    expect((await device("dhcp/ndpi_iphone.pcap", "c4:61:8b:35:82:a9")).type.value).toBe("phone");
    expect((await device("dhcp/ndpi_1kxun.pcap", "60:c5:47:05:bc:8c")).type.value).toBe("computer");
    expect((await device("dhcp/suri_dhcp-option-52-overload.pcap", "92:dd:a4:8d:5f:de")).isRandomizedMac).toBe(true);
  });
  test("the DHCP server / router is one gateway device without remote addresses", async () => {
    const t = await devicesOf("dhcp/ndpi_1kxun.pcap");
    const gw = t.findByMac("4c:5e:0c:ea:03:65")!;
    expect(gw.isGateway).toBe(true);
    expect(gw.type.value).toBe("router");
    for (const d of t.list()) for (const ip of d.ips) expect(ip).toMatch(/^(192\.168\.|10\.|fe80:)/);
  });
});

/** IoT Sentinel captures: the device MAC (ground truth beside each file) and the OUI vendor. */
const IOT: Record<string, { vendor: string; types: string[] }> = {
  "iots_Aria.pcap": { vendor: "Delta Electronics", types: ["iot"] },
  "iots_D-LinkCam.pcap": { vendor: "D-Link", types: ["camera"] },
  "iots_EdimaxCam1.pcap": { vendor: "Edimax Technology", types: ["camera", "iot"] },
  "iots_HueBridge.pcap": { vendor: "Philips", types: ["iot"] },
  "iots_Lightify.pcap": { vendor: "Osram", types: ["iot"] },
  "iots_SmarterCoffee.pcap": { vendor: "Espressif", types: ["iot"] },
  "iots_TP-LinkPlugHS110.pcap": { vendor: "TP-Link", types: ["iot"] },
  "iots_WeMoSwitch.pcap": { vendor: "Belkin", types: ["iot"] },
  "iots_Withings.pcap": { vendor: "Withings", types: ["iot"] },
};

describe.skipIf(!present)("corpus devices: IoT Sentinel ground truth", () => {
  const files = present ? readdirSync(path.join(PCAPS, "iot_devices")).filter((f) => f.endsWith(".pcap")) : [];
  test("every capture has an expectation", () => {
    expect(files.sort()).toEqual(Object.keys(IOT).sort());
  });
  for (const file of files) {
    test(file, async () => {
      const mac = readFileSync(path.join(PCAPS, "iot_devices", file + ".device-mac.txt"), "utf8").trim().toLowerCase();
      const d = await device("iot_devices/" + file, mac);
      const want = IOT[file]!;
      expect(d.vendor.value).toBe(want.vendor);
      expect(want.types).toContain(d.type.value as string);
      expect(d.isGateway).toBe(false);
      expect(d.ips.length).toBeGreaterThan(0);
    });
  }
});

describe.skipIf(!present)("corpus devices: mDNS / SSDP / NetBIOS / LLMNR", () => {
  test("mdns_dnssd/ndpi_telegram: iPad, iMac and Sonos from their announcements", async () => {
    const ipad = await device("mdns_dnssd/ndpi_telegram.pcap", "8c:fe:57:23:37:e4");
    expect([ipad.type.value, ipad.os.value, ipad.vendor.value, ipad.hostname]).toEqual(["tablet", "iOS", "Apple", "Gabrieles-iPad"]);
    expect(ipad.evidence.some((e) => e.signal === "mdns.service" && e.value === "_dacp._tcp")).toBe(true);
    const imac = await device("mdns_dnssd/ndpi_telegram.pcap", "28:37:37:00:6d:c8");
    expect([imac.type.value, imac.os.value, imac.name.value]).toEqual(["computer", "macOS", "Luca’s iMac"]);
    const sonos = await device("mdns_dnssd/ndpi_telegram.pcap", "78:28:ca:05:fa:cc");
    expect([sonos.type.value, sonos.vendor.value]).toEqual(["speaker", "Sonos"]);
  });
  test("mdns_dnssd/ndpi_wechat: the iPhone", async () => {
    const d = await device("mdns_dnssd/ndpi_wechat.pcap", "b8:78:2e:e2:da:07");
    expect([d.type.value, d.os.value, d.hostname]).toEqual(["phone", "iOS", "iPhonediMonica"]);
  });
  test("mdns_dnssd/zeek_mdns: host name and IPv4 + IPv6 addresses", async () => {
    const d = await device("mdns_dnssd/zeek_mdns.pcap", "8a:3c:d6:e1:4d:c4");
    expect(d.hostname).toBe("johanna-QEMU-Virtual-Machine");
    expect(d.isRandomizedMac).toBe(true);
    expect(d.ips).toContain("10.0.2.7");
    expect(d.ips.some((ip) => ip.startsWith("fe80:"))).toBe(true);
  });
  test("ssdp_upnp: SSDP SERVER and NT of a NETGEAR router", async () => {
    const d = await device("ssdp_upnp/suri_sip-ssdp-pm.pcap", "e0:91:f5:73:8c:c2");
    expect(d.vendor.value).toBe("NETGEAR");
    expect(d.type.value).toBe("router");
    expect(d.evidence.some((e) => e.signal === "ssdp.server")).toBe(true);
  });
  test("ssdp_upnp: M-SEARCH USER-AGENT is evidence of the searcher", async () => {
    const d = await device("ssdp_upnp/ndpi_ssdp-m-search-ua.pcap", "f0:2f:4b:09:93:bc");
    expect(d.evidence.some((e) => e.signal === "ssdp.user_agent")).toBe(true);
  });
  test("netbios_llmnr: Windows 10 desktops named by DHCP, NBNS and LLMNR", async () => {
    for (const [mac, name] of [["00:0c:29:03:df:ad", "DESKTOP-2AEFM7G"], ["00:0c:29:61:f5:5f", "DESKTOP-V1FA0UQ"]]) {
      const d = await device("netbios_llmnr/suri_smb2-ntlmssp-negotiateflags.pcap", mac!);
      expect([d.os.value, d.type.value, d.hostname]).toEqual(["Windows", "computer", name!]);
      expect(d.evidence.some((e) => e.signal === "netbios.name" || e.signal === "llmnr.name")).toBe(true);
    }
  });
  test("netbios_llmnr: NBNS registrations and an LLMNR answer name hosts", async () => {
    expect((await device("netbios_llmnr/ndpi_netbios.pcap", "00:1c:c4:10:79:0f")).name.value).toBe("GUNNAR");
    expect((await device("netbios_llmnr/suri_llmnr-udp.pcap", "00:25:90:34:ee:54")).hostname).toBe("HS2011");
  });
});

/** p0f's OS family for one of its labels, or undefined when p0f had no useful guess. */
function p0fFamily(label: string): string | undefined {
  if (label.startsWith("Windows")) return "Windows";
  if (label.startsWith("Linux") && !label.includes("barebone")) return "Linux";
  if (label.startsWith("Mac OS X")) return "Apple";
  return undefined;
}

describe.skipIf(!present)("corpus devices: TCP SYN traits agree with p0f", () => {
  const dirs = ["dhcp", "iot_devices", "mdns_dnssd", "netbios_llmnr"];
  const logs = present ? dirs.flatMap((d) => readdirSync(path.join(PCAPS, d)).filter((f) => f.endsWith(".p0f.log")).map((f) => `${d}/${f}`)) : [];
  for (const log of logs) {
    test(log, async () => {
      const hints = new Map<string, string>();
      for (const line of readFileSync(path.join(PCAPS, log), "utf8").split("\n")) {
        const m = /mod=syn\|cli=([^/]+)\/\d+\|.*subj=cli\|os=([^|]+)\|/.exec(line);
        const family = m && p0fFamily(m[2]!);
        if (family) hints.set(m![1]!, family);
      }
      const t = await devicesOf(log.replace(/\.p0f\.log$/, ""));
      let checked = 0;
      for (const [ip, family] of hints) {
        const d = t.findByIp(ip);
        if (!d) continue; // a remote client (server-side capture)
        const syns = d.evidence.filter((e) => e.signal === "tcp.syn");
        expect(syns.length).toBeGreaterThan(0);
        const c = classify(syns);
        const ours = c.os.value === "macOS" || c.os.value === "iOS" || c.vendor.value === "Apple" ? "Apple" : c.os.value === "Android" ? "Linux" : c.os.value;
        expect(`${ip} ${ours}`).toBe(`${ip} ${family}`);
        checked++;
      }
      if (hints.size > 0) expect(checked).toBeGreaterThan(0);
    });
  }
});
