/**
 * Live capture against real traffic: a network namespace and a veth pair made here, ping, a TCP
 * exchange and a tcpreplay of a corpus capture through it, and the capture must see exactly that.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import path from "node:path";
import { openLive, listInterfaces, type LiveCapture } from "../src/capture/live.ts";
import { openOffline } from "../src/capture/offline.ts";
import { nextRecord, RECORD_HEADER, type PacketBatch } from "../src/capture/batch.ts";
import type { CaptureError } from "../src/capture/errors.ts";
import { Engine } from "../src/engine/engine.ts";
import { analyzeFile } from "../src/engine/analyze.ts";
import type { FlowRecord } from "../src/flows/record.ts";

const isRoot = process.getuid?.() === 0;
const hasIp = Bun.which("ip") !== null;
const canRun = isRoot && hasIp;
if (!canRun) console.warn("live-capture tests skipped: they need root and the `ip` command (iproute2) to make a netns + veth pair");

const corpus = path.resolve(import.meta.dir, "../../shared/pcaps");
const replayFile = path.join(corpus, "dns/zeek_wikipedia.pcap");
const canReplay = existsSync(replayFile) && Bun.which("tcpreplay") !== null;

const tag = (process.pid % 100000).toString();
const ns = `ni-live-${tag}`;
const hostIf = `nih${tag}`; // interface names are at most 15 bytes
const nsIf = `nin${tag}`;
const HOST_IP = "10.213.1.1", NS_IP = "10.213.1.2";
/** After the expected packets arrived, how long to keep capturing to catch any unexpected extra. */
const SETTLE_MS = 250;
/** Give up waiting for the expected packets after this long (the assertions then say what is missing). */
const WAIT_LIMIT_MS = 5000;

function run(cmd: string[], input?: Uint8Array): { ok: boolean; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { stdin: input ?? "ignore", stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString(), err: r.stderr.toString() };
}

function sh(cmd: string[]): string {
  const r = run(cmd);
  if (!r.ok) throw new Error(`${cmd.join(" ")} failed: ${r.err}`);
  return r.out;
}

interface Captured {
  /** Every packet's bytes, copied out of the shared batch. */
  packets: Uint8Array[];
  cap: LiveCapture;
  /** The flows the engine made of the same batches. */
  flows: FlowRecord[];
}

/** Captures on the host side while `action` runs, feeding every batch to an Engine too. */
async function captureDuring(
  filter: string | undefined,
  action: () => Promise<void> | void,
  complete: (packets: Uint8Array[]) => boolean,
): Promise<Captured> {
  const cap = await openLive({ interface: hostIf, filter });
  const engine = new Engine();
  const flows: FlowRecord[] = [];
  engine.onFlowEnd((f) => flows.push(f));
  const packets: Uint8Array[] = [];
  const errors: Error[] = [];
  cap.start((b: PacketBatch, linkType) => {
    let off = 0;
    for (let i = 0; i < b.count; i++) {
      const caplen = b.view.getUint32(off + 8, true);
      packets.push(b.bytes.slice(off + RECORD_HEADER, off + RECORD_HEADER + caplen));
      off = nextRecord(off, caplen);
    }
    engine.processBatch(b, linkType);
  }, (e) => errors.push(e));
  await action();
  // The kernel hands packets over in blocks (up to BLOCK_TIMEOUT_MS late): wait for what the
  // action sent, then a little longer so that an unexpected extra packet would be seen too.
  for (const started = Date.now(); !complete(packets) && Date.now() - started < WAIT_LIMIT_MS; ) await Bun.sleep(20);
  await Bun.sleep(SETTLE_MS);
  cap.stop();
  engine.finish();
  expect(errors).toEqual([]);
  expect(cap.linkType).toBe(1); // veth carries Ethernet
  return { packets, cap, flows };
}

const frameBytes = (ps: Uint8Array[]) => ps.reduce((n, p) => n + p.length, 0);

const u16 = (p: Uint8Array, o: number) => (p[o] << 8) | p[o + 1];
const ipv4 = (p: Uint8Array, o: number) => `${p[o]}.${p[o + 1]}.${p[o + 2]}.${p[o + 3]}`;

/** Ethernet + IPv4 fields the assertions need (the veth carries untagged Ethernet). */
function ip4(p: Uint8Array) {
  if (u16(p, 12) !== 0x0800) return undefined;
  const ihl = (p[14] & 0x0f) * 4;
  const l4 = 14 + ihl;
  return { src: ipv4(p, 26), dst: ipv4(p, 30), proto: p[23], totalLen: u16(p, 16), ihl, l4 };
}

/** TCP payload bytes each way and handshake / close flags, from Ethernet + IPv4 + TCP frames. */
function tcpTotals(packets: Uint8Array[]) {
  let up = 0, down = 0, syn = 0, synAck = 0, finUp = 0, finDown = 0;
  for (const p of packets) {
    const h = ip4(p);
    if (!h || h.proto !== 6) continue;
    const tcpLen = (p[h.l4 + 12] >> 4) * 4;
    const payload = h.totalLen - h.ihl - tcpLen; // GRO/TSO may make frames longer than the MTU
    const flags = p[h.l4 + 13];
    const fromClient = h.src === NS_IP;
    if (fromClient) up += payload;
    else down += payload;
    if (flags & 0x02) (flags & 0x10 ? synAck++ : syn++);
    if (flags & 0x01) (fromClient ? finUp++ : finDown++);
  }
  return { up, down, syn, synAck, finUp, finDown };
}

describe.skipIf(!canRun)("live capture on a veth pair", () => {
  beforeAll(() => {
    run(["ip", "netns", "del", ns]);
    sh(["ip", "netns", "add", ns]);
    sh(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    sh(["ip", "link", "set", nsIf, "netns", ns]);
    // No IPv6 on either side: router solicitations and MLD reports would be noise in the counts.
    for (const [pre, dev] of [[[], hostIf], [["ip", "netns", "exec", ns], nsIf]] as const) {
      run([...pre, "sh", "-c", `echo 1 > /proc/sys/net/ipv6/conf/${dev}/disable_ipv6`]);
    }
    sh(["ip", "addr", "add", `${HOST_IP}/24`, "dev", hostIf]);
    sh(["ip", "link", "set", hostIf, "up"]);
    sh(["ip", "netns", "exec", ns, "ip", "addr", "add", `${NS_IP}/24`, "dev", nsIf]);
    sh(["ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up"]);
    sh(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
  });

  afterAll(() => {
    run(["ip", "netns", "del", ns]); // takes the veth pair with it
    run(["ip", "link", "del", hostIf]);
  });

  test("sees exactly the 10 ICMP packets of a 5-ping exchange", async () => {
    const { packets, cap, flows } = await captureDuring(
      "icmp",
      () => void sh(["ip", "netns", "exec", ns, "ping", "-c", "5", "-i", "0.2", "-W", "2", HOST_IP]),
      (ps) => ps.length >= 10,
    );
    const icmp = packets.map((p) => ({ ...ip4(p)!, type: p[ip4(p)!.l4] }));
    expect(icmp.length).toBe(10);
    expect(icmp.filter((p) => p.src === NS_IP && p.dst === HOST_IP && p.type === 8).length).toBe(5); // echo requests
    expect(icmp.filter((p) => p.src === HOST_IP && p.dst === NS_IP && p.type === 0).length).toBe(5); // echo replies
    const s = cap.stats();
    expect(s.packets).toBe(10);
    expect(s.bytes).toBe(packets.reduce((n, p) => n + p.length, 0));
    expect(s.dropped).toBe(0);
    expect(flows.length).toBe(1);
    const f = flows[0];
    expect([f.protocol, f.srcIp, f.dstIp]).toEqual(["ICMP", NS_IP, HOST_IP]);
    expect([f.packetsSent, f.packetsReceived]).toEqual([5, 5]);
    expect(f.bytesSent + f.bytesReceived).toBe(frameBytes(packets));
  });

  test("sees every byte of a TCP exchange, both ways, with its handshake and close", async () => {
    const PORT = 5213;
    const request = new Uint8Array(100_000).map((_, i) => i % 251);
    const reply = new TextEncoder().encode("thanks, got it\n".repeat(1000));
    let received = 0;
    const server = Bun.listen({
      hostname: HOST_IP,
      port: PORT,
      socket: {
        data(sock, data) {
          received += data.length;
          if (received === request.length) {
            sock.write(reply);
            sock.end();
          }
        },
      },
    });
    try {
      const { packets, flows } = await captureDuring(`tcp port ${PORT}`, async () => {
        const client = Bun.spawn(["ip", "netns", "exec", ns, "nc", "-N", HOST_IP, String(PORT)], {
          stdin: request,
          stdout: "pipe",
          stderr: "pipe",
        });
        const got = await new Response(client.stdout).arrayBuffer();
        await client.exited;
        expect(got.byteLength).toBe(reply.length);
      }, (ps) => {
        const t = tcpTotals(ps);
        return t.up === request.length && t.down === reply.length && t.finUp > 0 && t.finDown > 0;
      });
      expect(packets.every((p) => ip4(p)?.proto === 6)).toBe(true);
      const { up, down, syn, synAck, finUp, finDown } = tcpTotals(packets);
      expect(up).toBe(request.length);
      expect(down).toBe(reply.length);
      expect([syn, synAck, finUp, finDown]).toEqual([1, 1, 1, 1]);
      expect(flows.length).toBe(1);
      const f = flows[0];
      const fromClient = packets.filter((p) => ip4(p)!.src === NS_IP);
      expect([f.protocol, f.srcIp, f.dstIp, f.dstPort, f.tcpState]).toEqual(["TCP", NS_IP, HOST_IP, PORT, "closed"]);
      expect([f.packetsSent, f.packetsReceived]).toEqual([fromClient.length, packets.length - fromClient.length]);
      expect([f.bytesSent, f.bytesReceived]).toEqual([frameBytes(fromClient), frameBytes(packets) - frameBytes(fromClient)]);
    } finally {
      server.stop(true);
    }
  });

  test.skipIf(!canReplay)("sees exactly the packets tcpreplay sends from a corpus capture", async () => {
    const expected: string[] = [];
    const src = await openOffline(replayFile);
    for (let b = src.next(); b; b = src.next()) {
      let off = 0;
      for (let i = 0; i < b.count; i++) {
        const caplen = b.view.getUint32(off + 8, true);
        expected.push(Buffer.from(b.bytes.subarray(off + RECORD_HEADER, off + RECORD_HEADER + caplen)).toString("hex"));
        off = nextRecord(off, caplen);
      }
    }
    src.close();
    const { packets, flows } = await captureDuring(
      undefined,
      () => void sh(["ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", nsIf, "--topspeed", replayFile]),
      (ps) => ps.length >= expected.length,
    );
    const seen = packets.map((p) => Buffer.from(p).toString("hex"));
    expect(seen.length).toBe(expected.length);
    expect(seen.sort()).toEqual(expected.sort());
    // The live path makes the same flows as reading the file.
    const offline = (await analyzeFile(replayFile)).flows;
    const shape = (fs: FlowRecord[]) =>
      fs.map((f) => `${f.protocol} ${f.srcIp}:${f.srcPort} > ${f.dstIp}:${f.dstPort} ${f.packetsSent}/${f.bytesSent} ${f.packetsReceived}/${f.bytesReceived}`).sort();
    expect(flows.length).toBeGreaterThan(5);
    expect(shape(flows)).toEqual(shape(offline));
  });

  test("a bad filter on a live interface is a BAD_FILTER error", async () => {
    const e = (await openLive({ interface: hostIf, filter: "tcp port" }).catch((x) => x)) as CaptureError;
    expect(e.code).toBe("BAD_FILTER");
    expect(e.message).toContain('"tcp port"');
  });
});

describe.skipIf(!canRun)("live capture errors", () => {
  test("an unknown interface names the available ones", async () => {
    const e = (await openLive({ interface: "ni-nosuch0" }).catch((x) => x)) as CaptureError;
    expect(e.code).toBe("NO_SUCH_DEVICE");
    expect(e.message).toContain('"ni-nosuch0"');
    const names = listInterfaces().map((i) => i.name);
    expect(names).toContain("lo");
    for (const name of names) expect(e.message).toContain(name);
  });

  test("an interface removed during capture stops it with an error, not a crash", async () => {
    const a = `nid${tag}`, b = `nie${tag}`;
    sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b]);
    try {
      sh(["ip", "link", "set", a, "up"]);
      const cap = await openLive({ interface: a });
      const errors: CaptureError[] = [];
      cap.start(() => {}, (e) => errors.push(e as CaptureError));
      expect(cap.running).toBe(true);
      sh(["ip", "link", "del", a]);
      for (let i = 0; i < 100 && cap.running; i++) await Bun.sleep(20);
      expect(cap.running).toBe(false);
      expect(errors.map((e) => e.code)).toEqual(["NO_SUCH_DEVICE"]);
      expect(errors[0].message).toContain(a);
      cap.stop(); // stopping again is harmless
    } finally {
      run(["ip", "link", "del", a]);
    }
  });

  test.skipIf(!Bun.which("setpriv"))("an unprivileged user is told which capabilities and which setcap command", () => {
    const script = `import { openLive } from ${JSON.stringify(path.resolve(import.meta.dir, "../src/capture/live.ts"))};
      try { await openLive({ interface: "lo" }); console.log("OPENED"); } catch (e) { console.log(e.code + "\\n" + e.message); }`;
    const r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", process.execPath, "-e", script]);
    expect(r.out).toContain("PERMISSION");
    expect(r.out).toContain("CAP_NET_RAW");
    expect(r.out).toContain("sudo setcap cap_net_raw,cap_net_admin=eip ");
  });
});
