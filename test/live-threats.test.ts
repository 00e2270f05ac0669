/**
 * Live threat lab: hosts in network namespaces on a bridge (10.213.50.0/24), real attack tools run
 * from the "attacker" namespace, captured on the bridge with openLive + Engine + the threat detectors.
 * Each attack must raise its threat with the attacker as source; the innocent hosts raise none.
 * Needs root, iproute2, nmap, hping3, arpspoof (dsniff), dnsmasq, dig (dnsutils) and busybox;
 * the hydra-vs-sshd step also needs hydra and openssh-server, the DNS tunnel step iodine. Skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LiveCapture, openLive } from "../src/capture/live.ts";
import { Engine } from "../src/engine/engine.ts";
import { FLOW_UPDATE_SECONDS } from "../src/engine/events.ts";
import { createThreatDetectors, type Threat, type ThreatStore } from "../src/threats/index.ts";

const SBIN = { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" };
const has = (t: string) => Bun.which(t) !== null || Bun.which(t, SBIN) !== null;
const TOOLS = ["ip", "nmap", "hping3", "arpspoof", "dnsmasq", "dig", "busybox"];
const missing = TOOLS.filter((t) => !has(t));
const canRun = process.getuid?.() === 0 && missing.length === 0;
if (!canRun) console.warn(`live-threats skipped: needs root and ${TOOLS.join(", ")} (missing: ${missing.join(", ") || "root"})`);
const canHydra = canRun && has("hydra") && has("sshd") && has("ssh-keygen");
const canIodine = canRun && has("iodine") && has("iodined");

const tag = (process.pid % 100000).toString();
const bridge = `nithr${tag}`;
const NET = "10.213.50";
const HOSTS = {
  gw: { ip: `${NET}.1`, mac: "02:13:50:00:00:01" },
  victim: { ip: `${NET}.10`, mac: "02:13:50:00:00:10" },
  innocent: { ip: `${NET}.20`, mac: "02:13:50:00:00:20" },
  client: { ip: "", mac: "02:13:50:00:00:30" }, // gets its address by DHCP
  attacker: { ip: `${NET}.66`, mac: "02:13:50:00:00:66" },
} as const;
type Host = keyof typeof HOSTS;
const ATTACKER = HOSTS.attacker;
/** Let the capture drain and a tick pass before looking at the store. */
const SETTLE_MS = 1500;
/** Bounds for the tools that would otherwise run until killed. */
const ARPSPOOF_SECONDS = 9;
const FLOOD_SECONDS = 3;
const FLOOD_PACKETS = 20000;
const DGA_NAMES = 200;
const TCP_CLOSED_SECONDS = 2;
const TUNNEL_NET = "10.213.51";
const IODINE_SETUP_MS = 4000;

let work = "";
let store: ThreatStore;
let engine: Engine;
let cap: LiveCapture | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;
const daemons: ReturnType<typeof Bun.spawn>[] = [];

const nsName = (h: Host) => `ni-thr-${h}-${tag}`;
function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}
const quiet = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
const inNs = (h: Host, cmd: string[]) => ["ip", "netns", "exec", nsName(h), ...cmd];

/** Runs a tool in a namespace to completion (or until `timeoutMs`), returning its output. */
async function run(h: Host, cmd: string[], timeoutMs = 30000): Promise<string> {
  // cwd: hydra drops a hydra.restore file where it runs.
  const p = Bun.spawn(inNs(h, cmd), { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...SBIN }, cwd: work });
  const timer = setTimeout(() => p.kill("SIGINT"), timeoutMs);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return out + err;
}

function daemon(h: Host, cmd: string[]): void {
  daemons.push(Bun.spawn(inNs(h, cmd), { stdout: "ignore", stderr: "ignore", env: { ...process.env, ...SBIN }, cwd: work }));
}

const settle = () => Bun.sleep(SETTLE_MS);
const find = (pred: (t: Threat) => boolean) => store.list().filter(pred);
/**
 * The threats `pred` finds, once there are any or `ms` have passed. The SYN flood detector judges a
 * flow after its handshake grace (2 s), at a flow update (every FLOW_UPDATE_SECONDS) or the first tick
 * after it: when the burst ends against those depends on where it falls, so a fixed settle raced it.
 */
async function waitFor(pred: (t: Threat) => boolean, ms: number): Promise<Threat[]> {
  const until = Date.now() + ms;
  for (;;) {
    const found = find(pred);
    if (found.length > 0 || Date.now() >= until) return found;
    await Bun.sleep(250);
  }
}

async function cleanup(): Promise<void> {
  if (ticker) clearInterval(ticker);
  cap?.stop();
  for (const d of daemons) {
    d.kill();
    await d.exited;
  }
  for (const h of Object.keys(HOSTS) as Host[]) quiet(["ip", "netns", "del", nsName(h)]);
  quiet(["ip", "link", "del", bridge]);
  if (work) rmSync(work, { recursive: true, force: true });
}

describe.skipIf(!canRun)("live threat lab (10.213.50.0/24 in namespaces)", () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "ni-live-threats-"));
    sh(["ip", "link", "add", "name", bridge, "type", "bridge"]);
    sh(["ip", "link", "set", bridge, "up"]);
    for (const [h, { ip, mac }] of Object.entries(HOSTS) as [Host, (typeof HOSTS)[Host]][]) {
      const ns = nsName(h);
      const outer = `nt${h.slice(0, 2)}${tag}`;
      sh(["ip", "netns", "add", ns]);
      sh(["ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      sh(["ip", "link", "set", outer, "master", bridge, "up"]);
      sh(inNs(h, ["ip", "link", "set", "eth0", "address", mac]));
      sh(inNs(h, ["ip", "link", "set", "eth0", "up"]));
      sh(inNs(h, ["ip", "link", "set", "lo", "up"]));
      if (ip) sh(inNs(h, ["ip", "addr", "add", `${ip}/24`, "dev", "eth0"]));
    }
    // The legitimate router: DHCP for the LAN and DNS that answers NXDOMAIN for unknown .com names.
    daemon("gw", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--interface=eth0", "--bind-interfaces",
      "--no-resolv", "--local=/com/", `--address=/lab.example/${HOSTS.gw.ip}`, `--dhcp-range=${NET}.100,${NET}.150,255.255.255.0,1h`,
      `--dhcp-option=3,${HOSTS.gw.ip}`, `--dhcp-leasefile=${work}/gw.leases`, `--pid-file=${work}/gw.pid`, "--dhcp-authoritative"]);

    const detectors = createThreatDetectors({ settings: { dhcpServers: [HOSTS.gw.ip] } });
    store = detectors.store;
    // Closed TCP flows are reported after tcpClosed idle seconds (15 by default): shortened so the
    // brute-force step need not wait.
    engine = new Engine({ analyzers: detectors.analyzers, timeouts: { tcpClosed: TCP_CLOSED_SECONDS } });
    cap = await openLive({ interface: bridge });
    cap.start((batch, linkType) => engine.processBatch(batch, linkType));
    ticker = setInterval(() => engine.tickIdle(Date.now() / 1000), 250);
    await Bun.sleep(700);

    // Ordinary traffic from the innocent host and the victim, before any attack.
    await run("innocent", ["ping", "-c", "3", "-i", "0.2", HOSTS.gw.ip]);
    await run("victim", ["ping", "-c", "2", "-i", "0.2", HOSTS.gw.ip]);
    await run("innocent", ["dig", `@${HOSTS.gw.ip}`, "+tries=1", "+time=1", "lab.example", "www.lab.example", "nonexistent.com"]);
  }, 60000);

  afterAll(cleanup);

  test("nmap -sS: port scan of the victim from the attacker", async () => {
    await run("attacker", ["nmap", "-sS", "-n", "-Pn", "-T4", "-p", "1-300", HOSTS.victim.ip]);
    await settle();
    const [t] = find((t) => t.type === "port_scan" && t.targetIp === HOSTS.victim.ip);
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip, sourceMac: ATTACKER.mac });
    expect(t.evidence.ports as number).toBeGreaterThanOrEqual(250);
  }, 60000);

  test("nmap -sX and -sU: Xmas and UDP probes show in the scan's evidence", async () => {
    await run("attacker", ["nmap", "-sX", "-n", "-Pn", "-T4", "-p", "1000-1050", HOSTS.victim.ip]);
    // Linux rate-limits the port-unreachable answers, so nmap is cut short: the probes are what count.
    await run("attacker", ["nmap", "-sU", "-n", "-Pn", "-T5", "--max-retries", "0", "--host-timeout", "6s", "-p", "2000-2060",
      HOSTS.victim.ip], 20000);
    await settle();
    const [t] = find((t) => t.type === "port_scan" && t.targetIp === HOSTS.victim.ip);
    expect(t.sourceIp).toBe(ATTACKER.ip);
    expect(t.evidence.scanTypes).toEqual(expect.arrayContaining(["Xmas", "UDP"]));
    expect(t.evidence.udpPorts as number).toBeGreaterThanOrEqual(20);
  }, 60000);

  test("nmap -sn: ping sweep of the /24 from the attacker", async () => {
    await run("attacker", ["nmap", "-sn", "-n", `${NET}.0/24`]);
    await settle();
    const [t] = find((t) => t.type === "host_sweep");
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip });
    expect(t.evidence.hosts as number).toBeGreaterThanOrEqual(200);
  }, 60000);

  test("hping3 --flood --rand-source -S: SYN flood against the victim, attributed to the attacker's MAC", async () => {
    await run("attacker", ["timeout", String(FLOOD_SECONDS), "hping3", "--flood", "--rand-source", "-S", "-p", "80",
      "-c", String(FLOOD_PACKETS), HOSTS.victim.ip], (FLOOD_SECONDS + 5) * 1000);
    const [t] = await waitFor((t) => t.type === "syn_flood", (FLOW_UPDATE_SECONDS + 3) * 1000 + SETTLE_MS);
    expect(t).toMatchObject({ targetIp: HOSTS.victim.ip, sourceIp: null, sourceMac: ATTACKER.mac });
    expect(t.evidence.spoofedOrDistributed).toBe(true);
  }, 60000);

  test("arpspoof: the attacker poisons the victim's binding of the gateway", async () => {
    await run("victim", ["ping", "-c", "2", "-i", "0.2", HOSTS.gw.ip]);
    await run("attacker", ["timeout", "-s", "INT", String(ARPSPOOF_SECONDS), "arpspoof", "-i", "eth0", "-t", HOSTS.victim.ip,
      HOSTS.gw.ip], (ARPSPOOF_SECONDS + 10) * 1000);
    await settle();
    const [t] = find((t) => t.type === "arp_spoofing");
    expect(t).toMatchObject({ sourceMac: ATTACKER.mac, targetIp: HOSTS.gw.ip });
    expect(t.evidence.establishedMac).toBe(HOSTS.gw.mac);
  }, 60000);

  test("a second dnsmasq on the attacker answers DHCP: rogue DHCP server", async () => {
    daemon("attacker", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
      `--dhcp-range=${NET}.200,${NET}.250,255.255.255.0,1h`, `--dhcp-option=3,${ATTACKER.ip}`, `--dhcp-option=6,${ATTACKER.ip}`,
      `--dhcp-leasefile=${work}/rogue.leases`, `--pid-file=${work}/rogue.pid`]);
    await Bun.sleep(500);
    await run("client", ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "4", "-T", "1", "-s", "/bin/true"], 20000);
    await settle();
    const [t] = find((t) => t.type === "rogue_dhcp");
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip, sourceMac: ATTACKER.mac });
    expect(find((t) => t.type === "rogue_dhcp" && t.sourceIp === HOSTS.gw.ip)).toEqual([]);
  }, 60000);

  test(`dig of ${DGA_NAMES} random names: NXDOMAIN burst (DGA) from the attacker`, async () => {
    const names = Array.from({ length: DGA_NAMES }, () => `${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}.com`);
    writeFileSync(`${work}/names.txt`, names.join("\n") + "\n");
    await run("attacker", ["dig", `@${HOSTS.gw.ip}`, "+tries=1", "+time=1", "-f", `${work}/names.txt`], 60000);
    await settle();
    const [t] = find((t) => t.type === "dga");
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip });
    expect(t.evidence.nxdomains as number).toBeGreaterThanOrEqual(25);
  }, 90000);

  test.skipIf(!canHydra)("hydra against sshd on the victim: SSH brute force from the attacker", async () => {
    sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${work}/hostkey`]);
    writeFileSync(`${work}/sshd_config`, [`HostKey ${work}/hostkey`, "ListenAddress 0.0.0.0", "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no", "UsePAM no", "PermitRootLogin yes", `PidFile ${work}/sshd.pid`, ""].join("\n"));
    mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege-separation directory (Debian creates it at boot)
    daemon("victim", [Bun.which("sshd", SBIN) ?? "/usr/sbin/sshd", "-D", "-e", "-f", `${work}/sshd_config`]);
    await Bun.sleep(700);
    // Enough guesses for well over bruteForceConnections short connections, however hydra batches them.
    writeFileSync(`${work}/passwords.txt`, Array.from({ length: 100 }, (_, i) => `guess${i}`).join("\n") + "\n");
    const out = await run("attacker", ["hydra", "-l", "root", "-P", `${work}/passwords.txt`, "-t", "4", "-w", "3", "-I", "-f",
      `ssh://${HOSTS.victim.ip}`], 90000);
    expect(out).toContain("0 valid password");
    // Closed flows are reported once they idle out (TCP_CLOSED_SECONDS); on a loaded machine the
    // last of them may take a little longer, so poll rather than sleep a fixed time.
    let t: Threat | undefined;
    const deadline = Date.now() + TCP_CLOSED_SECONDS * 1000 + 15_000;
    while (!(t = find((t) => t.type === "brute_force" && t.targetPort === 22)[0]) && Date.now() < deadline) await Bun.sleep(250);
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip, targetIp: HOSTS.victim.ip });
  }, 150000);

  test.skipIf(!canIodine)("iodine through iodined on the victim: DNS tunnel from the attacker", async () => {
    // The tunnel's inner subnet lives only on tun devices inside the two namespaces.
    daemon("victim", ["iodined", "-f", "-c", "-P", "nilabsecret", `${TUNNEL_NET}.1/24`, "t.lab.example"]);
    await Bun.sleep(700);
    // -r: no raw-UDP shortcut, so every byte rides in DNS queries as it would through a resolver.
    daemon("attacker", ["iodine", "-f", "-r", "-P", "nilabsecret", HOSTS.victim.ip, "t.lab.example"]);
    await Bun.sleep(IODINE_SETUP_MS);
    await run("attacker", ["ping", "-c", "5", "-i", "0.2", "-W", "1", `${TUNNEL_NET}.1`], 15000);
    await settle();
    const [t] = find((t) => t.type === "dns_tunneling");
    expect(t).toMatchObject({ sourceIp: ATTACKER.ip });
    expect(t.evidence.domain).toBe("lab.example");
  }, 60000);

  test("the innocent hosts, the gateway and the victim raise no threat as a source", async () => {
    await run("innocent", ["ping", "-c", "3", "-i", "0.2", HOSTS.victim.ip]);
    await settle();
    const innocents = new Set<string>([HOSTS.innocent.ip, HOSTS.gw.ip, HOSTS.victim.ip, HOSTS.innocent.mac, HOSTS.gw.mac,
      HOSTS.victim.mac, HOSTS.client.mac]);
    const blamed = store.list().filter((t) => innocents.has(t.sourceIp ?? "") || innocents.has(t.sourceMac ?? ""));
    expect(blamed.map((t) => `${t.type} ${t.sourceIp} ${t.sourceMac}`)).toEqual([]);
  }, 30000);
});
