import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { classify } from "./classify.ts";
import type { Device, Evidence } from "./model.ts";
import { synValue } from "./rules/p0f.ts";
import { dhcp, dns, meta, record } from "./testkit.ts";
import { DeviceTracker } from "./tracker.ts";

const MAC = "02:00:00:00:00:01"; // locally administered: no OUI evidence interferes
const IP = "192.168.1.50";

function ev(signal: string, value: string): Evidence {
  return { signal, value, firstSeen: 0, lastSeen: 0 };
}

/** Runs observations from MAC/IP through a tracker and returns the device. */
function device(...obs: Observation[]): Device {
  const t = new DeviceTracker();
  for (const o of obs) t.observe(o);
  return t.findByMac(MAC)!;
}

const m = (p: Parameters<typeof meta>[0] = {}) => meta({ srcMac: MAC, srcIp: IP, ...p });

describe("classify: DHCP", () => {
  test("vendor class MSFT 5.0 -> Windows", () => {
    const d = device(dhcp({ clientMac: MAC, vendorClass: "MSFT 5.0", hostname: "DESKTOP-2AEFM7G", parameterList: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 121, 249, 252] }));
    expect(d.os.value).toBe("Windows");
    expect(d.os.confidence).toBeGreaterThan(0.9);
    expect(d.type.value).toBe("computer");
    expect(d.name.value).toBe("DESKTOP-2AEFM7G");
  });
  test("android-dhcp-9 -> Android phone", () => {
    const d = device(dhcp({ clientMac: MAC, vendorClass: "android-dhcp-9", parameterList: [1, 3, 6, 15, 26, 28, 51, 58, 59, 43] }));
    expect([d.os.value, d.type.value]).toEqual(["Android", "phone"]);
  });
  test("Apple option-55 lists: iPhone vs Mac", () => {
    const phone = device(dhcp({ clientMac: MAC, parameterList: [1, 121, 3, 6, 15, 119, 252] }));
    expect([phone.os.value, phone.vendor.value, phone.type.value]).toEqual(["iOS", "Apple", "phone"]);
    const mac = device(dhcp({ clientMac: MAC, parameterList: [1, 121, 3, 6, 15, 119, 252, 95, 44, 46] }));
    expect([mac.os.value, mac.type.value]).toEqual(["macOS", "computer"]);
  });
  test("dhcpcd on a Raspberry Pi, ISC dhclient, BusyBox udhcp -> Linux", () => {
    const pi = device(dhcp({ clientMac: MAC, vendorClass: "dhcpcd-6.10.1:Linux-4.9.57-v7+:armv7l:BCM2835" }));
    expect([pi.os.value, pi.vendor.value, pi.type.value]).toEqual(["Linux", "Raspberry Pi", "computer"]);
    const ubuntu = device(dhcp({ clientMac: MAC, parameterList: [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42, 121, 249, 252, 42] }));
    expect(ubuntu.os.value).toBe("Linux");
    const bb = device(dhcp({ clientMac: MAC, vendorClass: "udhcp 1.36.1", parameterList: [1, 3, 6, 12, 15, 28, 42, 54, 66, 67, 119] }));
    expect(bb.os.value).toBe("Linux");
  });
  test("DHCPv6 vendor class enterprise 311 -> Windows", () => {
    const d = device({ kind: "dhcpv6", meta: m({ srcIp: "fe80::1234", ipVersion: 6 }), msg: { messageType: 1, transactionId: 1, clientId: "000100012a", vendorClass: { enterprise: 311, data: ["MSFT 5.0"] } } });
    expect(d.os.value).toBe("Windows");
  });
});

describe("classify: discovery protocols", () => {
  test("mDNS _googlecast with TXT md=Chromecast -> Google tv named by fn=", () => {
    const d = device({
      kind: "mdns", meta: m(), msg: dns({
        isResponse: true,
        answers: [record("_googlecast._tcp.local", 12, "Chromecast-abc._googlecast._tcp.local")],
        additionals: [
          record("Chromecast-abc._googlecast._tcp.local", 16, "", { txt: ["id=abc", "md=Chromecast", "fn=Living Room TV"] }),
          record("abc.local", 1, IP),
        ],
      }),
    });
    expect([d.type.value, d.vendor.value]).toEqual(["tv", "Google"]);
    expect(d.name.value).toBe("Living Room TV");
    expect(d.hostname).toBe("abc");
  });
  test("mDNS service types: _hap -> iot, _ipp -> printer, _raop alone -> speaker, _companion-link -> Apple", () => {
    const svc = (type: string) => device({ kind: "mdns", meta: m(), msg: dns({ isResponse: true, answers: [record(`${type}.local`, 12, `x.${type}.local`)] }) });
    expect(svc("_hap._tcp").type.value).toBe("iot");
    expect(svc("_ipp._tcp").type.value).toBe("printer");
    expect(svc("_raop._tcp").type.value).toBe("speaker");
    expect(svc("_companion-link._tcp").vendor.value).toBe("Apple");
  });
  test("mDNS queries say nothing about the asker", () => {
    const d = device({ kind: "mdns", meta: m(), msg: dns({ questions: [{ name: "_ipp._tcp.local", type: 12, class: 1 }] }) });
    expect(d.type.value).toBe("unknown");
  });
  test("SSDP SERVER and NT", () => {
    const win = device({ kind: "ssdp", meta: m(), msg: { method: "NOTIFY", headers: { server: "Microsoft-Windows/10.0 UPnP/1.0 UPnP-Device-Host/1.0", nt: "upnp:rootdevice" } } });
    expect(win.os.value).toBe("Windows");
    const igd = device({ kind: "ssdp", meta: m(), msg: { method: "NOTIFY", headers: { server: "Linux/3.4 UPnP/1.0 MiniUPnPd/2.0", nt: "urn:schemas-upnp-org:device:InternetGatewayDevice:1" } } });
    expect(igd.type.value).toBe("router");
    const sonos = device({ kind: "ssdp", meta: m(), msg: { method: "RESPONSE", headers: { server: "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS1)", st: "urn:schemas-upnp-org:device:ZonePlayer:1" } } });
    expect([sonos.type.value, sonos.vendor.value]).toEqual(["speaker", "Sonos"]);
  });
  test("NetBIOS registration and LLMNR answers name the device", () => {
    const nb = device({ kind: "netbios", meta: m(), msg: { isResponse: false, opcode: 5, names: [{ name: "WORKGROUP", suffix: 0 }, { name: "KEVIN-PC", suffix: 0x20 }], addresses: [IP] } });
    expect(nb.name.value).toBe("KEVIN-PC");
    expect(nb.os.value).toBe("Windows");
    const ll = device({ kind: "llmnr", meta: m(), msg: dns({ isResponse: true, answers: [record("desktop-v1fa0uq", 1, IP)] }) });
    expect(ll.hostname).toBe("desktop-v1fa0uq");
  });
});

describe("classify: traffic", () => {
  test("HTTP User-Agent", () => {
    const ua = (userAgent: string) => device({ kind: "http", meta: m({ ipProtocol: 6 }), msg: { isRequest: true, method: "GET", version: "1.1", userAgent, host: "example.com" } });
    const iphone = ua("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15");
    expect([iphone.os.value, iphone.type.value]).toEqual(["iOS", "phone"]);
    const android = ua("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36");
    expect([android.os.value, android.type.value]).toEqual(["Android", "phone"]);
    expect(ua("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36").os.value).toBe("ChromeOS");
  });
  test("DNS names and TLS SNI: connectivity checks", () => {
    const q = (name: string) => ({ kind: "dns", meta: m(), msg: dns({ questions: [{ name, type: 1, class: 1 }] }) }) as Observation;
    expect(device(q("connectivitycheck.gstatic.com")).os.value).toBe("Android");
    expect(device(q("www.msftconnecttest.com")).os.value).toBe("Windows");
    expect(device(q("captive.apple.com")).vendor.value).toBe("Apple");
    const d = device(q("www.example.org"));
    expect(d.evidence.some((e) => e.signal === "dns.query")).toBe(false);
    const sni = device({ kind: "tlsClientHello", meta: m({ ipProtocol: 6 }), msg: { version: 0x303, supportedVersions: [], sni: "gateway.icloud.com", alpn: [], cipherSuites: [], extensions: [], signatureAlgorithms: [], ja4: "t13d2613h2_2802a3db6c62_845d286b0d67" } });
    expect(sni.vendor.value).toBe("Apple");
    expect(sni.evidence.map((e) => e.signal).sort()).toEqual(["tls.ja4", "tls.sni"]);
  });
  test("TCP SYN traits, p0f style", () => {
    const syn = (initialTtl: number, window: number, windowScale: number, optionLayout: string, mss = 1460) =>
      device({ kind: "tcpSyn", meta: m({ ipProtocol: 6 }), msg: { isSynAck: false, ttl: initialTtl - 1, initialTtl, window, mss, windowScale, optionLayout, ipVersion: 4, df: true, totalLength: 60 } });
    expect(syn(128, 8192, 8, "mss,nop,ws,nop,nop,sok").os.value).toBe("Windows");
    expect(syn(64, 29200, 7, "mss,sok,ts,nop,ws").os.value).toBe("Linux");
    expect(syn(64, 65535, 3, "mss,nop,ws,nop,nop,ts,sok,eol+1").os.value).toBe("macOS");
    expect(syn(64, 1234, 7, "mss,nop,nop,ts").os.value).toBeNull();
    expect(synValue(64, 29200, 7, "mss,sok,ts,nop,ws", 1460)).toBe("64:29200,7:mss,sok,ts,nop,ws:1460");
  });
});

describe("classify: OUI hints and combination", () => {
  test("OUI vendor implies a type", () => {
    const c = (vendor: string) => classify([ev("oui", vendor)]);
    expect(c("Sonos").type.value).toBe("speaker");
    expect(c("Espressif").type.value).toBe("iot");
    expect(c("Hangzhou Hikvision Digital Technology").type.value).toBe("camera");
    expect(c("Nintendo").type.value).toBe("game_console");
    expect([c("Raspberry Pi Foundation").vendor.value, c("Raspberry Pi Foundation").os.value]).toEqual(["Raspberry Pi", "Linux"]);
  });
  test("independent evidence raises confidence; conflicting evidence lowers it", () => {
    const one = classify([ev("dhcp.fingerprint", "1,121,3,6,15,119,252")]).os;
    const two = classify([ev("dhcp.fingerprint", "1,121,3,6,15,119,252"), ev("dhcp.hostname", "Lucas-iPhone")]).os;
    expect(two.value).toBe("iOS");
    expect(two.confidence).toBeGreaterThan(one.confidence);
    const conflict = classify([ev("dhcp.hostname", "Lucas-iPhone"), ev("dhcp.vendor_class", "android-dhcp-9")]).os;
    expect(conflict.value).toBe("Android");
    expect(conflict.confidence).toBeLessThan(classify([ev("dhcp.vendor_class", "android-dhcp-9")]).os.confidence);
  });
  test("one rule matching many values counts once", () => {
    const many = classify(["a.apple.com", "b.apple.com", "c.apple.com"].map((n) => ev("dns.query", n))).vendor;
    const once = classify([ev("dns.query", "a.apple.com")]).vendor;
    expect(many.confidence).toBe(once.confidence);
  });
  test("no evidence: unknown labels, no name", () => {
    const c = classify([]);
    expect([c.type.value, c.os.value, c.vendor.value, c.name.value]).toEqual(["unknown", null, null, null]);
  });
  test("display name falls back to vendor + type", () => {
    expect(classify([ev("oui", "Sonos")]).name).toEqual({ value: "Sonos speaker", confidence: 0.2 });
  });
});
