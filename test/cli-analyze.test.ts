/** `netinsight analyze` as a user runs it: a real process, real files, exit codes and messages. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pcapBytes } from "../src/capture/pcapfile.ts";
import { ethernet, ipv4, tcp, udp, ACK, SYN } from "../src/decode/testing/frames.ts";
import { corpusFile } from "./corpus.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "netinsight-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

const sample = join(dir, "sample.pcap");
writeFileSync(sample, pcapBytes(1, [
  { ts: 10, data: ethernet({ type: 0x0800 }, ipv4({ src: "192.168.1.2", dst: "192.168.1.1", proto: 6 }, tcp({ sport: 41000, dport: 22, flags: SYN }))) },
  { ts: 10.01, data: ethernet({ type: 0x0800 }, ipv4({ src: "192.168.1.1", dst: "192.168.1.2", proto: 6 }, tcp({ sport: 22, dport: 41000, flags: SYN | ACK }))) },
  { ts: 11, data: ethernet({ type: 0x0800 }, ipv4({ src: "192.168.1.2", dst: "192.168.1.255", proto: 17 }, udp({ sport: 137, dport: 137 }, new Uint8Array(50)))) },
]));

describe("netinsight analyze", () => {
  test("--json prints one report with summary and flows", () => {
    const r = run("analyze", sample, "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.summary.packets).toBe(3);
    expect(report.summary.linkTypeName).toBe("EN10MB");
    expect(report.flows).toHaveLength(2);
    const ssh = report.flows[0];
    expect(ssh).toMatchObject({ id: "1", protocol: "TCP", srcIp: "192.168.1.2", srcPort: 41000, dstIp: "192.168.1.1", dstPort: 22, vlan: 0, packetsSent: 1, packetsReceived: 1, status: "active", tcpState: "established" });
    expect(ssh.startTime).toBe("1970-01-01T00:00:10.000Z");
  });

  test("the human summary names the file and counts", () => {
    const r = run("analyze", sample);
    expect(r.code).toBe(0);
    expect(r.out).toContain("3 packets");
    expect(r.out).toContain("2 flows");
  });

  test("a BPF filter limits the packets", () => {
    const r = run("analyze", sample, "--json", "--filter", "udp");
    expect(JSON.parse(r.out).summary.packets).toBe(1);
  });

  test("bad input gets a clear message and a non-zero exit, never a stack trace", () => {
    const unknown = run("analyze", sample, "--bogus");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("--bogus");
    const missing = run("analyze", join(dir, "nope.pcap"));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("nope.pcap");
    expect(missing.err).not.toContain("    at ");
    const badFilter = run("analyze", sample, "--filter", "tcp port banana");
    expect(badFilter.code).toBe(1);
    expect(badFilter.err).toMatch(/filter/i);
    const notPcap = join(dir, "text.pcap");
    writeFileSync(notPcap, "hello, this is not a capture");
    const garbage = run("analyze", notPcap);
    expect(garbage.code).toBe(1);
    expect(garbage.err).toContain("text.pcap");
  });

  test("--help and --version", () => {
    expect(run("--help").out).toContain("analyze");
    const v = run("--version");
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/netinsight \d+\.\d+\.\d+/);
    expect(v.out).toMatch(/libpcap/);
    expect(run("frobnicate").code).toBe(2);
  });

  test("the bundled sample: devices, threats, applications and protocols in one report", () => {
    const r = run("analyze", join(import.meta.dir, "..", "samples", "home-lab.pcap"), "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const pi = report.devices.find((d: { mac: string }) => d.mac === "b8:27:eb:55:66:77");
    expect(pi).toMatchObject({ hostname: "raspberrypi", vendor: { value: "Raspberry Pi" }, os: { value: "Linux" } });
    expect(pi.ips).toContain("10.213.9.121");
    expect(pi.evidence.some((e: { signal: string }) => e.signal.startsWith("dhcp"))).toBe(true);
    const laptop = report.devices.find((d: { mac: string }) => d.mac === "a4:83:e7:22:33:44");
    expect(laptop).toMatchObject({ hostname: "alice-macbook", vendor: { value: "Apple" } });
    const router = report.devices.find((d: { mac: string }) => d.mac === "00:1d:7e:10:00:01");
    expect(router.type.value).toBe("router");
    const scan = report.threats.find((t: { type: string }) => t.type === "port_scan");
    expect(scan).toMatchObject({ sourceIp: "10.213.9.66", targetIp: "10.213.9.1", status: "active" });
    const apps = new Set(report.flows.map((f: { application: string | null }) => f.application));
    for (const app of ["YouTube", "Netflix", "Spotify"]) expect(apps.has(app)).toBe(true);
    const tls = report.flows.find((f: { application: string | null; dstPort: number }) => f.application === "YouTube" && f.dstPort === 443);
    expect(tls).toMatchObject({ service: "TLS", serviceBy: "payload", hostname: "www.youtube.com", dstIp: "10.213.9.11" });
    // The scan of the router is not mistaken for any application.
    const scanned = report.flows.filter((f: { srcIp: string }) => f.srcIp === "10.213.9.66");
    expect(scanned.length).toBeGreaterThan(100);
    expect(scanned.every((f: { application: string | null }) => f.application === null)).toBe(true);
    expect(report.protocols.services.some((s: { service: string }) => s.service === "DHCP")).toBe(true);
  });

  const corpus = corpusFile("dns/zeek_wikipedia.pcap");
  test.skipIf(!corpus)("a real capture: flows match what tshark counts (spot check)", () => {
    const report = JSON.parse(run("analyze", corpus!, "--json").out);
    expect(report.summary.packets).toBe(136);
    const http = report.flows.filter((f: { dstPort: number; protocol: string }) => f.protocol === "TCP" && f.dstPort === 80);
    expect(http.length).toBeGreaterThan(5);
  });

  test("--json into a reader that stops early (| head) ends quietly instead of hanging", async () => {
    // The sample's report (~200 kB) is bigger than a pipe's buffer: writing it meets the closed pipe.
    const child = Bun.spawn([process.execPath, MAIN, "analyze", join(import.meta.dir, "..", "samples", "home-lab.pcap"), "--json"], { stdout: "pipe", stderr: "pipe" });
    const reader = child.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).startsWith('{"summary":')).toBe(true);
    await reader.cancel();
    expect(await child.exited).toBe(0);
    expect(await new Response(child.stderr).text()).toBe("");
  });
});
