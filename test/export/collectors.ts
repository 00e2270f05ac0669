/**
 * Real flow collectors for the export tests: nfdump's nfcapd and pmacct's nfacctd started on free
 * ports, and what they stored read back per direction (src, sport, dst, dport, protocol, VLAN).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressBytes } from "../../src/export/templates.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const BUN = process.execPath;

export const have = (cmd: string) => Bun.which(cmd) !== null;

/** Packets and bytes per direction key. */
export type Counts = Map<string, { packets: number; bytes: number }>;

/** One address spelling for both sides (nfdump and NetInsight may compress IPv6 differently). */
const addr = (ip: string) => Buffer.from(addressBytes(ip)).toString("hex");
export const dirKey = (src: string, sport: number, dst: string, dport: number, proto: number, vlan: number) =>
  `${addr(src)}|${sport}|${addr(dst)}|${dport}|${proto}|${vlan}`;

function add(m: Counts, key: string, packets: number, bytes: number): void {
  const c = m.get(key) ?? { packets: 0, bytes: 0 };
  c.packets += packets;
  c.bytes += bytes;
  m.set(key, c);
}

export interface ApiFlow {
  id: string; srcIp: string; srcPort: number; dstIp: string; dstPort: number; ipProtocol: number; vlan: number;
  packetsSent: number; bytesSent: number; packetsReceived: number; bytesReceived: number;
}

/** What `analyze --json` says each direction carried. */
export function expectedCounts(flows: ApiFlow[]): Counts {
  const m: Counts = new Map();
  for (const f of flows) {
    if (f.packetsSent > 0) add(m, dirKey(f.srcIp, f.srcPort, f.dstIp, f.dstPort, f.ipProtocol, f.vlan), f.packetsSent, f.bytesSent);
    if (f.packetsReceived > 0) add(m, dirKey(f.dstIp, f.dstPort, f.srcIp, f.srcPort, f.ipProtocol, f.vlan), f.packetsReceived, f.bytesReceived);
  }
  return m;
}

/** Flows whose every direction the collector holds with the same packets and bytes. */
export function matchFlows(flows: ApiFlow[], got: Counts): { matched: number; total: number; misses: string[] } {
  const want = expectedCounts(flows);
  let matched = 0;
  const misses: string[] = [];
  for (const f of flows) {
    const keys = [dirKey(f.srcIp, f.srcPort, f.dstIp, f.dstPort, f.ipProtocol, f.vlan), dirKey(f.dstIp, f.dstPort, f.srcIp, f.srcPort, f.ipProtocol, f.vlan)];
    const ok = keys.every((k) => {
      const w = want.get(k), g = got.get(k);
      return (!w && !g) || (w && g && w.packets === g.packets && w.bytes === g.bytes);
    });
    if (ok) matched++;
    else if (misses.length < 5) misses.push(`${f.id} ${keys[0]}: want ${JSON.stringify(keys.map((k) => want.get(k)))} got ${JSON.stringify(keys.map((k) => got.get(k)))}`);
  }
  return { matched, total: flows.length, misses };
}

export interface Collector {
  port: number;
  /** Stops the collector (it writes what it holds) and reads it back. */
  stop(): Promise<Counts>;
  log(): string;
}

async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/**
 * Bytes waiting in the receive queue of the UDP socket bound to 127.0.0.1:`port` (/proc/net/udp),
 * or -1 when no such socket is listed.
 */
function udpReceiveQueue(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return parseInt(f[4].split(":")[1], 16);
  }
  return -1;
}

/**
 * Waits until the collector has read every datagram sent to it: stopped with datagrams still in its
 * socket's queue (a busy machine had not yet run it), it would exit without them.
 */
async function readAll(port: number): Promise<void> {
  await waitFor(`the collector on port ${port} to read its socket`, () => udpReceiveQueue(port) <= 0);
}

/** nfcapd on `port` writing into a fresh directory; read back with `nfdump -R DIR -o json`. */
export async function startNfcapd(port: number): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), "ni-export-nfcapd-"));
  const logFile = join(dir, "log");
  const data = join(dir, "data");
  Bun.spawnSync(["mkdir", "-p", data]);
  const proc = Bun.spawn(["nfcapd", "-b", "127.0.0.1", "-p", String(port), "-w", data, "-t", "3600"], {
    stdout: Bun.file(logFile), stderr: Bun.file(logFile),
  });
  let kept = "";
  const log = () => { try { return readFileSync(logFile, "utf8"); } catch { return kept; } };
  await waitFor("nfcapd to start", () => /Startup/.test(log()) || proc.exitCode !== null);
  if (proc.exitCode !== null) throw new Error(`nfcapd exited: ${log()}`);
  return {
    port,
    log,
    async stop() {
      await readAll(port);
      proc.kill("SIGTERM");
      await proc.exited;
      const out = Bun.spawnSync(["nfdump", "-R", data, "-o", "json"]);
      const text = out.stdout.toString().trim();
      // nfdump says "No matching flows" inside the brackets when nfcapd stored none: no records, and
      // the flows' comparison (with nfcapd's log) then says what went missing, not a JSON parse error.
      const records = text && !/No matching flows/.test(text) ? (JSON.parse(text) as Record<string, unknown>[]) : [];
      const m: Counts = new Map();
      for (const r of records) {
        const src = (r.src4_addr ?? r.src6_addr) as string, dst = (r.dst4_addr ?? r.dst6_addr) as string;
        const k = dirKey(src, Number(r.src_port ?? 0), dst, Number(r.dst_port ?? 0), Number(r.proto), Number(r.src_vlan ?? 0));
        add(m, k, Number(r.in_packets), Number(r.in_bytes));
        // RFC 5103 biflows: nfdump shows the reverse counters as out_packets / out_bytes.
        if (Number(r.out_packets ?? 0) > 0) {
          const rk = dirKey(dst, Number(r.dst_port ?? 0), src, Number(r.src_port ?? 0), Number(r.proto), Number(r.src_vlan ?? 0));
          add(m, rk, Number(r.out_packets), Number(r.out_bytes));
        }
      }
      kept = log();
      rmSync(dir, { recursive: true, force: true });
      return m;
    },
  };
}

/** pmacct's nfacctd on `port` with a print plugin appending CSV every second. */
export async function startNfacctd(port: number): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), "ni-export-nfacctd-"));
  const out = join(dir, "flows.csv");
  const logFile = join(dir, "log");
  writeFileSync(join(dir, "nfacctd.conf"), [
    "daemonize: false",
    `nfacctd_port: ${port}`,
    "nfacctd_ip: 127.0.0.1",
    "plugins: print[out]",
    "aggregate[out]: src_host, dst_host, src_port, dst_port, proto, vlan",
    "print_output[out]: csv",
    "print_num_protos[out]: true",
    `print_output_file[out]: ${out}`,
    "print_output_file_append[out]: true",
    "print_refresh_time[out]: 1",
    "",
  ].join("\n"));
  const proc = Bun.spawn(["nfacctd", "-f", join(dir, "nfacctd.conf")], { stdout: Bun.file(logFile), stderr: Bun.file(logFile) });
  let kept = "";
  const log = () => { try { return readFileSync(logFile, "utf8"); } catch { return kept; } };
  await waitFor("nfacctd to start", () => /waiting for NetFlow\/IPFIX data/.test(log()) || proc.exitCode !== null);
  if (proc.exitCode !== null) throw new Error(`nfacctd exited: ${log()}`);
  return {
    port,
    log,
    async stop() {
      // Its cache is written every second: let the last records reach the file before stopping it.
      await readAll(port);
      await Bun.sleep(2500);
      proc.kill("SIGINT");
      await proc.exited;
      const m: Counts = new Map();
      let text = "";
      try { text = readFileSync(out, "utf8"); } catch { /* nothing received */ }
      let cols: string[] = [];
      for (const line of text.split("\n")) {
        if (!line) continue;
        if (line.startsWith("VLAN,") || line.startsWith("SRC_")) {
          cols = line.split(",");
          continue;
        }
        const v = line.split(",");
        const get = (name: string) => v[cols.indexOf(name)];
        add(m, dirKey(get("SRC_IP"), Number(get("SRC_PORT")), get("DST_IP"), Number(get("DST_PORT")), Number(get("PROTOCOL")), Number(get("VLAN") ?? 0)),
          Number(get("PACKETS")), Number(get("BYTES")));
      }
      kept = log();
      rmSync(dir, { recursive: true, force: true });
      return m;
    },
  };
}

/** `analyze FILE --json` with extra flags (the export ones); the report's flows. */
export async function analyzeJson(file: string, extra: string[]): Promise<{ flows: ApiFlow[]; stderr: string; code: number }> {
  const proc = Bun.spawn([BUN, join(ROOT, "src", "main.ts"), "analyze", file, "--json", ...extra], { stdout: "pipe", stderr: "pipe", cwd: ROOT });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { flows: code === 0 ? (JSON.parse(stdout).flows as ApiFlow[]) : [], stderr, code };
}

export function listDir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}
