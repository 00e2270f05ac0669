/**
 * A small capture the API and service tests write themselves: a closed TCP connection, a live
 * UDP flow, an unanswered SYN, and a late packet so the closed connection times out.
 */
import { writeFileSync } from "node:fs";
import { pcapBytes } from "../capture/pcapfile.ts";
import { ACK, ethernet, FIN, ipv4, PSH, SYN, tcp, udp } from "../decode/testing/frames.ts";

export const LAPTOP_MAC = "a4:83:e7:0a:0b:0c";
export const ROUTER_MAC = "f0:9f:c2:11:22:33";
export const OTHER_MAC = "3c:22:fb:44:55:66";
export const LAPTOP_IP = "192.168.1.23";
/** Two hours ago (whole seconds), so the capture falls inside the default analytics window. */
export const T0 = Math.floor(Date.now() / 1000) - 7200;

const fromLaptop = (ts: number, ip: Uint8Array) => ({ ts, data: ethernet({ src: LAPTOP_MAC, dst: ROUTER_MAC, type: 0x0800 }, ip) });
const toLaptop = (ts: number, ip: Uint8Array) => ({ ts, data: ethernet({ src: ROUTER_MAC, dst: LAPTOP_MAC, type: 0x0800 }, ip) });
const fromOther = (ts: number, ip: Uint8Array) => ({ ts, data: ethernet({ src: OTHER_MAC, dst: LAPTOP_MAC, type: 0x0800 }, ip) });

const tcpOut = (flags: number, body = "") => ipv4({ src: LAPTOP_IP, dst: "1.1.1.1", proto: 6 }, tcp({ sport: 40000, dport: 443, flags }, new TextEncoder().encode(body)));
const tcpIn = (flags: number, body = "") => ipv4({ src: "1.1.1.1", dst: LAPTOP_IP, proto: 6 }, tcp({ sport: 443, dport: 40000, flags }, new TextEncoder().encode(body)));

/** The packets, in time order; `seconds` spreads them for paced (--speed) feeds. */
export function samplePackets(seconds = 120) {
  const s = seconds / 120;
  return [
    fromLaptop(T0, tcpOut(SYN)),
    toLaptop(T0 + 0.01, tcpIn(SYN | ACK)),
    fromLaptop(T0 + 0.02, tcpOut(ACK)),
    fromLaptop(T0 + 0.03, tcpOut(PSH | ACK, "hello")),
    toLaptop(T0 + 0.04, tcpIn(PSH | ACK, "world!")),
    fromLaptop(T0 + 0.05, tcpOut(FIN | ACK)),
    toLaptop(T0 + 0.06, tcpIn(FIN | ACK)),
    fromLaptop(T0 + 0.07, tcpOut(ACK)),
    fromOther(T0 + 1 * s, ipv4({ src: "192.168.1.50", dst: LAPTOP_IP, proto: 6 }, tcp({ sport: 50000, dport: 22, flags: SYN }))),
    fromLaptop(T0 + 2 * s, ipv4({ src: LAPTOP_IP, dst: "8.8.8.8", proto: 17 }, udp({ sport: 5353, dport: 53 }, new Uint8Array(20)))),
    // Late: moves packet time past the closed connection's timeout so it is reported closed.
    fromLaptop(T0 + 60 * s, ipv4({ src: LAPTOP_IP, dst: "9.9.9.9", proto: 17 }, udp({ sport: 40001, dport: 123 }, new Uint8Array(48)))),
    fromLaptop(T0 + 120 * s, ipv4({ src: LAPTOP_IP, dst: "9.9.9.9", proto: 17 }, udp({ sport: 40001, dport: 123 }, new Uint8Array(48)))),
  ];
}

export function writeSampleCapture(path: string, seconds = 120): string {
  writeFileSync(path, pcapBytes(1, samplePackets(seconds)));
  return path;
}
