/**
 * Generates the benchmark capture once (cached in bench/out/): >= 2 M packets over >= 100 k
 * interleaved flows with a home-network mix (TCP handshake/data/FIN, DNS, QUIC-like UDP, IPv6, ICMP, ARP).
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { PcapWriter } from "../src/capture/pcapfile.ts";
import { dnsQuery, dnsResponse, httpRequest, httpResponseHead, tlsClientHello } from "./payloads.ts";

/** Bump when the mix changes so a stale cached file is not benchmarked. */
const GEN_VERSION = 2;
export const MIN_PACKETS = 2_000_000;
export const MIN_FLOWS = 100_000;
/** Flows in progress at once: their packets interleave like a busy office link. */
const CONCURRENT_FLOWS = 3000;
/** Capture length in seconds: short enough that idle timeouts do not shrink the flow table. */
const CAPTURE_SECONDS = 60;
const ARP_EVERY = 500;
const LOCAL_HOSTS = 60;

export const benchFile = path.join(import.meta.dir, "out", `bench-v${GEN_VERSION}.pcap`);

// Deterministic PRNG (mulberry32) so every run benchmarks the same bytes.
let seed = 0x213;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

type Payload = Uint8Array | number; // bytes, or that many filler bytes
interface Step { fromClient: boolean; flags: number; payload: Payload }
interface Flow {
  kind: "tcp" | "udp" | "icmp";
  v6: boolean;
  client: number; // local host index
  server: number; // remote host index
  cport: number;
  sport: number;
  steps: Step[];
  next: number;
  seq: [number, number];
}

const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
let nextPort = 1024;
const ephemeral = () => (nextPort = nextPort >= 65000 ? 1024 : nextPort + 1);

/** How many full-size server segments a TCP response takes: mostly small, a heavy tail. */
function responseSegments(): number {
  const r = rnd();
  if (r < 0.7) return int(1, 4);
  if (r < 0.95) return int(5, 40);
  return int(50, 400);
}

function tcpFlow(v6: boolean): Flow {
  const https = rnd() < 0.7;
  const sport = https ? 443 : rnd() < 0.8 ? 80 : int(1, 10) === 1 ? 22 : 8080;
  const host = `svc${int(1, 5000)}.example.com`;
  const steps: Step[] = [];
  if (rnd() < 0.06) {
    // A refused or scanned port: SYN, RST.
    steps.push({ fromClient: true, flags: SYN, payload: 0 }, { fromClient: false, flags: RST | ACK, payload: 0 });
    return flow("tcp", v6, ephemeral(), int(1, 1024), steps);
  }
  steps.push({ fromClient: true, flags: SYN, payload: 0 }, { fromClient: false, flags: SYN | ACK, payload: 0 }, { fromClient: true, flags: ACK, payload: 0 });
  steps.push({ fromClient: true, flags: PSH | ACK, payload: https ? tlsClientHello(host) : httpRequest(host, int(1, 99999)) });
  const segments = responseSegments();
  const mss = v6 ? 1440 : 1460;
  for (let i = 0; i < segments; i++) {
    const last = i === segments - 1;
    const size = last ? int(100, mss) : mss;
    const payload = i === 0 && !https ? httpResponseHead(size) : size;
    steps.push({ fromClient: false, flags: last ? PSH | ACK : ACK, payload });
    if (i % 2 === 1 || last) steps.push({ fromClient: true, flags: ACK, payload: 0 });
  }
  steps.push({ fromClient: true, flags: FIN | ACK, payload: 0 }, { fromClient: false, flags: FIN | ACK, payload: 0 }, { fromClient: true, flags: ACK, payload: 0 });
  return flow("tcp", v6, ephemeral(), sport, steps);
}

function dnsFlow(v6: boolean): Flow {
  const id = int(0, 65535), name = `host${int(1, 20000)}.example.net`;
  return flow("udp", v6, ephemeral(), 53, [
    { fromClient: true, flags: 0, payload: dnsQuery(id, name, v6) },
    { fromClient: false, flags: 0, payload: dnsResponse(id, name, v6) },
  ]);
}

function udpFlow(v6: boolean): Flow {
  if (rnd() < 0.5) return flow("udp", v6, 123, 123, [{ fromClient: true, flags: 0, payload: 48 }, { fromClient: false, flags: 0, payload: 48 }]);
  const steps: Step[] = [];
  for (let i = int(6, 60); i > 0; i--) steps.push({ fromClient: rnd() < 0.3, flags: 0, payload: rnd() < 0.6 ? 1200 : int(30, 200) });
  return flow("udp", v6, ephemeral(), 443, steps);
}

function icmpFlow(v6: boolean): Flow {
  const steps: Step[] = [];
  for (let i = 0; i < 4; i++) steps.push({ fromClient: true, flags: 8, payload: 56 }, { fromClient: false, flags: 0, payload: 56 });
  return flow("icmp", v6, int(1, 65535), 0, steps);
}

function flow(kind: Flow["kind"], v6: boolean, cport: number, sport: number, steps: Step[]): Flow {
  return { kind, v6, client: int(0, LOCAL_HOSTS - 1), server: int(0, 40000), cport, sport, steps, next: 0, seq: [int(0, 2 ** 31), int(0, 2 ** 31)] };
}

function newFlow(): Flow {
  const r = rnd();
  if (r < 0.45) return tcpFlow(false);
  if (r < 0.52) return tcpFlow(true);
  if (r < 0.82) return dnsFlow(false);
  if (r < 0.87) return dnsFlow(true);
  if (r < 0.93) return udpFlow(rnd() < 0.2);
  return icmpFlow(rnd() < 0.25);
}

// Frame building into one reusable buffer.
const frame = new Uint8Array(1514 + 64);
const fv = new DataView(frame.buffer);
const GATEWAY_MAC = [0x00, 0x11, 0x32, 0xaa, 0xbb, 0x01];
let ipId = 1;

function setMacs(client: number, fromClient: boolean): void {
  const host = [0x02, 0x42, 0xac, 0x10, client >> 8, client & 0xff];
  frame.set(fromClient ? GATEWAY_MAC : host, 0);
  frame.set(fromClient ? host : GATEWAY_MAC, 6);
}

/** Source then destination address at `at`: local hosts are 192.168.1.x / fd00:213::x, servers public. */
function setAddrs(f: Flow, fromClient: boolean, at: number): void {
  const size = f.v6 ? 16 : 4;
  writeAddr(f, true, fromClient ? at : at + size);
  writeAddr(f, false, fromClient ? at + size : at);
}

function writeAddr(f: Flow, local: boolean, off: number): void {
  if (!f.v6) {
    frame.set(local ? [192, 168, 1, f.client + 10] : [23, (f.server >> 8) & 0xff, f.server & 0xff, 7], off);
    return;
  }
  frame.fill(0, off, off + 16);
  frame.set(local ? [0xfd, 0x00, 0x02, 0x13] : [0x20, 0x01, 0x0d, 0xb8], off);
  if (local) frame[off + 15] = f.client + 10;
  else fv.setUint32(off + 12, f.server);
}

function ipv4Checksum(off: number): void {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += fv.getUint16(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  fv.setUint16(off + 10, ~sum & 0xffff);
}

/** Writes one step of a flow into `frame`; returns the frame length. */
function build(f: Flow, s: Step): number {
  setMacs(f.client, s.fromClient);
  const payloadLen = typeof s.payload === "number" ? s.payload : s.payload.length;
  const synOptions = f.kind === "tcp" && s.flags & SYN ? 20 : 0;
  const l4Len = (f.kind === "tcp" ? 20 + synOptions : 8) + payloadLen;
  let l4: number;
  if (f.v6) {
    fv.setUint16(12, 0x86dd);
    fv.setUint32(14, 0x60000000);
    fv.setUint16(18, l4Len);
    frame[20] = f.kind === "tcp" ? 6 : f.kind === "udp" ? 17 : 58;
    frame[21] = s.fromClient ? 64 : 57;
    setAddrs(f, s.fromClient, 22);
    l4 = 54;
  } else {
    fv.setUint16(12, 0x0800);
    frame[14] = 0x45;
    frame[15] = 0;
    fv.setUint16(16, 20 + l4Len);
    fv.setUint16(18, ipId++ & 0xffff);
    fv.setUint16(20, 0x4000); // don't fragment
    frame[22] = s.fromClient ? 64 : 52;
    frame[23] = f.kind === "tcp" ? 6 : f.kind === "udp" ? 17 : 1;
    fv.setUint16(24, 0);
    setAddrs(f, s.fromClient, 26);
    ipv4Checksum(14);
    l4 = 34;
  }
  const [src, dst] = s.fromClient ? [f.cport, f.sport] : [f.sport, f.cport];
  let data = l4 + 8;
  if (f.kind === "tcp") {
    const dir = s.fromClient ? 0 : 1;
    fv.setUint16(l4, src);
    fv.setUint16(l4 + 2, dst);
    fv.setUint32(l4 + 4, f.seq[dir]);
    fv.setUint32(l4 + 8, s.flags & ACK ? f.seq[1 - dir] : 0);
    frame[l4 + 12] = ((20 + synOptions) / 4) << 4;
    frame[l4 + 13] = s.flags;
    fv.setUint16(l4 + 14, 64240);
    fv.setUint32(l4 + 16, 0);
    if (synOptions) frame.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7], l4 + 20); // MSS, SACK, TS, NOP, WS
    f.seq[dir] = (f.seq[dir] + payloadLen + (s.flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    data = l4 + 20 + synOptions;
  } else if (f.kind === "udp") {
    fv.setUint16(l4, src);
    fv.setUint16(l4 + 2, dst);
    fv.setUint16(l4 + 4, l4Len);
    fv.setUint16(l4 + 6, 0);
  } else {
    frame[l4] = f.v6 ? (s.flags === 8 ? 128 : 129) : s.flags; // echo request / reply
    frame[l4 + 1] = 0;
    fv.setUint32(l4 + 2, 0);
    fv.setUint16(l4 + 4, f.cport);
    fv.setUint16(l4 + 6, f.next >> 1);
  }
  if (typeof s.payload === "number") frame.fill(0x5a, data, data + payloadLen);
  else frame.set(s.payload, data);
  const len = data + payloadLen;
  if (len < 60) frame.fill(0, len, 60);
  return Math.max(len, 60);
}

function buildArp(client: number, reply: boolean): number {
  setMacs(client, !reply);
  if (!reply) frame.fill(0xff, 0, 6);
  fv.setUint16(12, 0x0806);
  frame.set([0, 1, 8, 0, 6, 4, 0, reply ? 2 : 1], 14);
  frame.set(reply ? GATEWAY_MAC : [0x02, 0x42, 0xac, 0x10, client >> 8, client & 0xff], 22);
  frame.set(reply ? [192, 168, 1, 1] : [192, 168, 1, client + 10], 28);
  frame.set(reply ? [0x02, 0x42, 0xac, 0x10, client >> 8, client & 0xff] : [0, 0, 0, 0, 0, 0], 32);
  frame.set(reply ? [192, 168, 1, client + 10] : [192, 168, 1, 1], 38);
  frame.fill(0, 42, 60);
  return 60;
}

/** Writes the benchmark capture unless a current one is cached; returns its path and counts. */
export async function ensureBenchCapture(log: (s: string) => void = () => {}): Promise<string> {
  if (existsSync(benchFile)) return benchFile;
  mkdirSync(path.dirname(benchFile), { recursive: true });
  const tmp = benchFile + ".tmp";
  const out = new PcapWriter(tmp, 1, 65535);
  const active: Flow[] = [];
  let flows = 0, ts = 1_760_000_000;
  const meanGap = CAPTURE_SECONDS / MIN_PACKETS;
  const started = performance.now();
  for (;;) {
    const wantMore = out.packets < MIN_PACKETS || flows < MIN_FLOWS;
    while (wantMore && active.length < CONCURRENT_FLOWS) active.push(newFlow()), flows++;
    if (active.length === 0) break;
    const i = Math.floor(rnd() * active.length);
    const f = active[i];
    ts += -Math.log(1 - rnd()) * meanGap;
    out.write(ts, frame, build(f, f.steps[f.next++]));
    if (f.next === f.steps.length) {
      active[i] = active[active.length - 1];
      active.pop();
    }
    if (out.packets % ARP_EVERY === 0) {
      const c = int(0, LOCAL_HOSTS - 1);
      out.write(ts, frame, buildArp(c, false));
      out.write(ts + 0.0003, frame, buildArp(c, true));
    }
  }
  await out.close();
  renameSync(tmp, benchFile);
  log(`generated ${benchFile}: ${out.packets} packets, ${flows} flows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return benchFile;
}

if (import.meta.main) await ensureBenchCapture(console.log);
