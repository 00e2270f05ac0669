import { describe, expect, test } from "bun:test";
import { mapNdpiProtocol, serviceAgrees } from "./ndpi-names.ts";
import { biflowKey, parseEndpoint, parseNdpiFlowLine, parseNdpiOutput } from "./ndpi-reference.ts";

const TLS_LINE = "\t1\tTCP 192.168.1.7:53119 <-> 142.250.180.174:443 [proto: 91.126/TLS.Google][IP: 126/Google][Encrypted][Confidence: DPI][DPI packets: 6][cat: Web/5][12 pkts/1966 bytes <-> 12 pkts/5989 bytes][Hostname/SNI: www.google.com][TLSv1.3]";
const V6_LINE = "\t2\tUDP [2a00:d40:1:3:7aac:c0ff:fea7:d4c]:45931 <-> [2a00:1450:4001:803::1017]:443 [proto: 188.126/QUIC.Google][IP: 126/Google][Encrypted][Confidence: DPI][cat: Web/5][Hostname/SNI: www.google.it]";
const ICMP_LINE = "\t3\tICMP 192.168.1.1 -> 192.168.1.2 [proto: 81/ICMP][IP: 0/Unknown][ClearText][Confidence: DPI][cat: Network/14][1 pkts/98 bytes -> 0 pkts/0 bytes]";

describe("nDPI output parser", () => {
  test("reads a TLS flow line", () => {
    expect(parseNdpiFlowLine(TLS_LINE)).toEqual({
      index: 1, protocol: "TCP", srcIp: "192.168.1.7", srcPort: 53119, dstIp: "142.250.180.174", dstPort: 443,
      proto: "TLS.Google", protoIds: "91.126", confidence: "DPI", hostname: "www.google.com", category: "Web/5",
    });
  });

  test("reads bracketed IPv6 endpoints and port-less ICMP endpoints", () => {
    const v6 = parseNdpiFlowLine(V6_LINE);
    expect(v6).toMatchObject({ srcIp: "2a00:d40:1:3:7aac:c0ff:fea7:d4c", srcPort: 45931, dstIp: "2a00:1450:4001:803::1017", dstPort: 443 });
    expect(parseNdpiFlowLine(ICMP_LINE)).toMatchObject({ protocol: "ICMP", srcPort: 0, dstPort: 0, proto: "ICMP" });
    expect(parseEndpoint("[::1")).toBeUndefined();
    expect(parseEndpoint("1.2.3.4:x")).toBeUndefined();
  });

  test("skips statistics and header lines", () => {
    const text = ["Guessed flow protos:\t1", "", "DNS\t15\t1612\t1", TLS_LINE, "\t1\t 10.0.2.15 \t 1  ", V6_LINE].join("\n");
    expect(parseNdpiOutput(text).map((f) => f.index)).toEqual([1, 2]);
  });

  test("the biflow key ignores direction", () => {
    expect(biflowKey("TCP", "10.0.0.1", 1, "10.0.0.2", 2)).toBe(biflowKey("tcp", "10.0.0.2", 2, "10.0.0.1", 1));
    // RFC 5952 text (ours) and glibc's inet_ntop (nDPI) spell one zero group differently.
    expect(biflowKey("TCP", "2a03:2880:1010:3f20:face:b00c:0:25de", 1, "::1", 2))
      .toBe(biflowKey("TCP", "::1", 2, "2A03:2880:1010:3f20:face:b00c::25de", 1));
    expect(biflowKey("TCP", "10.0.0.1", 1, "10.0.0.2", 2)).not.toBe(biflowKey("UDP", "10.0.0.1", 1, "10.0.0.2", 2));
  });
});

describe("nDPI name mapping", () => {
  test("master.application splits into a service and an application", () => {
    expect(mapNdpiProtocol("TLS.Google")).toEqual({ services: ["TLS"], application: "Google", ndpiApplication: "Google" });
    expect(mapNdpiProtocol("QUIC.YouTube").application).toBe("YouTube");
    expect(mapNdpiProtocol("DNS.Skype_Teams")).toMatchObject({ services: ["DNS"], application: "Microsoft Teams" });
  });

  test("an application-only name has no service to compare", () => {
    expect(mapNdpiProtocol("Telegram")).toEqual({ services: [], application: "Telegram", ndpiApplication: "Telegram" });
    expect(mapNdpiProtocol("NestLogSink").application).toBe("Google Nest");
  });

  test("wire protocol names map to ours, with alternatives", () => {
    expect(mapNdpiProtocol("MDNS").services).toEqual(["mDNS"]);
    expect(mapNdpiProtocol("FTP_CONTROL").services).toEqual(["FTP"]);
    expect(mapNdpiProtocol("Gnutella")).toEqual({ services: ["Gnutella"], application: null, ndpiApplication: null });
    const smb = mapNdpiProtocol("NetBIOS.SMBv1");
    expect(smb.application).toBeNull();
    expect(serviceAgrees("SMB", smb)).toBe(true);
    expect(serviceAgrees("netbios", smb)).toBe(true);
    expect(serviceAgrees("HTTP", smb)).toBe(false);
    expect(serviceAgrees(null, smb)).toBe(false);
  });

  test("an application nDPI names that the table lacks is kept as written", () => {
    expect(mapNdpiProtocol("TLS.SomeNewApp").application).toBe("SomeNewApp");
    expect(mapNdpiProtocol("HTTP.MpegDash").application).toBeNull();
  });
});
