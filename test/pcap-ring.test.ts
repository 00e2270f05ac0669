/**
 * The packets behind every alert: `serve --read` a capture with attacks and the packet ring on,
 * download each threat's pcap and read it with tshark (it holds the attacker's packets), each flow's
 * (all its packets), a device's; the ring off writes nothing and answers 503; a full disk stops
 * the ring, not the capture; a ring directory that cannot be written stops start-up naming it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { corpusFile } from "./corpus.ts";
import { BUN, have, ROOT } from "./export/collectors.ts";
import { call, json, runCli, serve, stop, waitFed, type Served } from "./export/serve.ts";

const SAMPLE = join(ROOT, "samples", "home-lab.pcap");
const dir = mkdtempSync(join(tmpdir(), "ni-pcap-ring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tshark = have("tshark");
if (!tshark) console.warn("pcap ring tests: tshark not installed; the downloads are not read back");

let n = 0;
async function download(s: Served, path: string): Promise<{ status: number; file: string; body: Uint8Array }> {
  const res = await call(s, path);
  const body = new Uint8Array(await res.arrayBuffer());
  const file = join(dir, `download-${n++}.pcapng`);
  writeFileSync(file, body);
  return { status: res.status, file, body };
}

/** tshark's view of a file: one line per packet with its addresses; throws when tshark cannot read it. */
function packets(file: string): string[] {
  const r = Bun.spawnSync(["tshark", "-r", file, "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst"]);
  if (r.exitCode !== 0) throw new Error(`tshark cannot read ${file}: ${r.stderr.toString()}`);
  return r.stdout.toString().split("\n").filter(Boolean);
}

function comment(file: string): string {
  return Bun.spawnSync(["capinfos", file]).stdout.toString();
}

/** Every threat with an address has a pcap holding its attacker's packets. Returns how many were checked. */
async function checkThreats(s: Served): Promise<number> {
  const { threats } = await json(s, "/api/threats?limit=1000");
  let checked = 0;
  for (const t of threats) {
    const d = await download(s, `/api/threats/${encodeURIComponent(t.id)}/pcap`);
    if (!t.sourceIp) {
      expect([200, 404]).toContain(d.status);
      continue;
    }
    expect(d.status).toBe(200);
    if (!tshark) continue;
    const lines = packets(d.file);
    expect(lines.length).toBeGreaterThan(0);
    // Every packet is the attacker's (sent or answered).
    for (const line of lines) expect(line.split("\t")).toContain(t.sourceIp);
    expect(comment(d.file)).toContain(`NetInsight threat ${t.id}:`);
    console.log(`pcap ring: threat ${t.id} (${t.type}) -> ${lines.length} packets of ${t.sourceIp}`);
    checked++;
  }
  return checked;
}

describe("pcap downloads from the packet ring", () => {
  test("home-lab.pcap: each threat's pcap holds the attacker's packets; a flow's, all its packets; a device's", async () => {
    const s = await serve(join(dir, "lab.db"), ["--read", SAMPLE, "--speed", "0", "--pcap-ring-mb", "4"]);
    try {
      await waitFed(s);
      expect(await checkThreats(s)).toBeGreaterThan(0);
      const { flows } = await json(s, "/api/flows?limit=30&sort=bytes");
      for (const f of flows.slice(0, 10)) {
        const d = await download(s, `/api/flows/${f.id}/pcap`);
        expect(d.status).toBe(200);
        if (tshark) expect(packets(d.file).length).toBe(f.packetsSent + f.packetsReceived);
      }
      expect((await call(s, "/api/flows/999999999/pcap")).status).toBe(404);
      const { devices } = await json(s, "/api/devices");
      const busy = devices.find((d: any) => d.ips.length > 0);
      const d = await download(s, `/api/devices/${busy.id}/pcap?minutes=1440`);
      expect(d.status).toBe(200);
      if (tshark) {
        const lines = packets(d.file);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line.split("\t").some((a) => busy.ips.includes(a))).toBe(true);
        expect(comment(d.file)).toContain(`NetInsight device ${busy.id}`);
      }
      expect((await call(s, "/api/devices/ffffffffffff/pcap")).status).toBe(404);
      expect((await call(s, `/api/devices/${busy.id}/pcap?minutes=0`)).status).toBe(400);
      const doc = await (await fetch(`${s.base}/openapi.json`)).json() as any;
      for (const p of ["/api/threats/{threat_id}/pcap", "/api/flows/{flow_id}/pcap", "/api/devices/{device_id}/pcap"]) expect(doc.paths[p]?.get).toBeDefined();
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 120_000);

  const corpus = corpusFile("bruteforce/zeek_sshguess.pcap");
  test.skipIf(!corpus)("a corpus attack capture (SSH password guessing): the threat's pcap holds the guesser's packets", async () => {
    const s = await serve(join(dir, "ssh.db"), ["--read", corpus!, "--speed", "0", "--pcap-ring-mb", "4"]);
    try {
      await waitFed(s);
      expect(await checkThreats(s)).toBeGreaterThan(0);
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 120_000);

  test("the ring off: nothing is written, the downloads answer 503 naming the setting", async () => {
    const db = join(dir, "off", "off.db");
    mkdirSync(join(dir, "off"));
    const s = await serve(db, ["--read", SAMPLE, "--speed", "0"]);
    try {
      await waitFed(s);
      const res = await call(s, "/api/threats/1/pcap");
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.message).toContain("--pcap-ring-mb");
      expect(existsSync(join(dir, "off", "pcap-ring"))).toBe(false);
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 60_000);

  const big = corpusFile("stress/zeek_echo-connections.pcap");
  test.skipIf(!big || process.getuid?.() !== 0)("a full disk (a 1 MB tmpfs) stops the ring, not the capture", async () => {
    const mnt = join(dir, "tiny");
    mkdirSync(mnt);
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).exitCode !== 0) return console.warn("full-disk test skipped: cannot mount a tmpfs");
    try {
      const s = await serve(join(dir, "full.db"), ["--read", big!, "--speed", "0", "--pcap-ring-mb", "8", "--pcap-ring-dir", join(mnt, "ring")]);
      try {
        await waitFed(s);
        const status = await json(s, "/api/capture/status");
        expect(status.packets).toBe(82582);
        expect(status.error).toBeNull();
        let problems: string[] = [];
        for (let i = 0; i < 50 && !problems.some((p) => p.includes("pcap ring")); i++) {
          problems = ((await (await fetch(`${s.base}/api/health`)).json()) as any).problems;
          await Bun.sleep(100);
        }
        expect(problems.join("\n")).toMatch(/pcap ring: stopped .*(ENOSPC|no space)/i);
      } finally {
        expect(await stop(s)).toBe(0);
      }
    } finally {
      Bun.spawnSync(["umount", mnt]);
    }
  }, 120_000);
});

describe("bad packet ring settings stop start-up, naming the setting", () => {
  const main = join(ROOT, "src", "main.ts");
  test("a ring directory that cannot be created", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = runCli([BUN, main, "serve", "--no-capture", "--database", join(dir, "bad.db"), "--pcap-ring-mb", "8", "--pcap-ring-dir", join(file, "ring")]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/PCAP_RING_DIR: cannot write the packet ring directory .*a-file\/ring \(ENOTDIR\)/);
  });
  test("a ring too small", () => {
    const r = runCli([BUN, main, "serve", "--no-capture", "--database", join(dir, "bad.db")], { PCAP_RING_MB: "2" });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/PCAP_RING_MB: must be 0 \(off\) or at least 4/);
  });
});
