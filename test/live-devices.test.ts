/**
 * Live device discovery: a bridge with a dnsmasq DHCP server and two real DHCP clients (ISC
 * dhclient and busybox udhcpc) in network namespaces, their MACs set to known vendors' OUIs, captured
 * on the bridge with openLive + Engine + DeviceTracker. Each client must appear with vendor and host name.
 * Needs root, iproute2, dnsmasq, isc-dhcp-client and busybox; skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openLive } from "../src/capture/live.ts";
import type { Device } from "../src/devices/model.ts";
import { DeviceTracker } from "../src/devices/tracker.ts";
import { Engine } from "../src/engine/engine.ts";

const TOOLS = ["ip", "dnsmasq", "dhclient", "busybox"];
const missing = TOOLS.filter((t) => Bun.which(t) === null && Bun.which(t, { PATH: "/usr/sbin:/sbin:/usr/bin" }) === null);
const canRun = process.getuid?.() === 0 && missing.length === 0;
if (!canRun) console.warn(`live-devices skipped: needs root and ${TOOLS.join(", ")} (missing: ${missing.join(", ") || "root"})`);

const tag = (process.pid % 100000).toString();
const bridge = `nidb${tag}`;
const SERVER_IP = "10.213.7.1";
/** MAC of each namespace end: the server (locally administered), a Google OUI, a Raspberry Pi OUI. */
const GOOGLE_MAC = "00:1a:11:21:37:01";
const PI_MAC = "b8:27:eb:21:37:02";
const ends = { srv: "02:00:00:21:37:fe", c1: GOOGLE_MAC, c2: PI_MAC };
/** Upper bound for one DHCP client run (they normally finish in well under a second). */
const CLIENT_TIMEOUT_MS = 15000;
const SETTLE_MS = 400;

let work = "";
let dnsmasq: ReturnType<typeof Bun.spawn> | undefined;

function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}
const quiet = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
const nsName = (k: string) => `ni-dev-${k}-${tag}`;

async function runIn(k: string, cmd: string[]): Promise<string> {
  const p = Bun.spawn(["ip", "netns", "exec", nsName(k), ...cmd], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(), CLIENT_TIMEOUT_MS);
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return out + err;
}

/** Polls until `done` or CLIENT_TIMEOUT_MS pass (the assertions then say what was missing). */
async function waitFor(done: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + CLIENT_TIMEOUT_MS;
  while (Date.now() < until && !(await done())) await Bun.sleep(50);
}

async function cleanup(): Promise<void> {
  if (dnsmasq) {
    dnsmasq.kill();
    await dnsmasq.exited;
  }
  for (const k of Object.keys(ends)) quiet(["ip", "netns", "del", nsName(k)]);
  quiet(["ip", "link", "del", bridge]);
  if (work) rmSync(work, { recursive: true, force: true });
}

describe.skipIf(!canRun)("live devices: DHCP clients on a bridge", () => {
  const seen: [Device, boolean][] = [];
  let tracker: DeviceTracker;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "ni-live-devices-"));
    sh(["ip", "link", "add", "name", bridge, "type", "bridge"]);
    sh(["ip", "link", "set", bridge, "up"]);
    for (const [k, mac] of Object.entries(ends)) {
      const ns = nsName(k);
      const outer = `nid${k}${tag}`;
      sh(["ip", "netns", "add", ns]);
      sh(["ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      sh(["ip", "link", "set", outer, "master", bridge, "up"]);
      sh(["ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "address", mac]);
      sh(["ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"]);
      sh(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    }
    sh(["ip", "netns", "exec", nsName("srv"), "ip", "addr", "add", `${SERVER_IP}/24`, "dev", "eth0"]);
    dnsmasq = Bun.spawn(["ip", "netns", "exec", nsName("srv"), "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
      "--port=0", "--interface=eth0", "--bind-interfaces", "--dhcp-range=10.213.7.50,10.213.7.99,255.255.255.0,1h",
      `--dhcp-leasefile=${work}/leases`, `--pid-file=${work}/dnsmasq.pid`, "--dhcp-authoritative"], { stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(500);

    tracker = new DeviceTracker();
    tracker.onChange((d, isNew) => seen.push([d, isNew]));
    const engine = new Engine({ analyzers: [tracker] });
    const cap = await openLive({ interface: bridge });
    cap.start((batch, linkType) => engine.processBatch(batch, linkType));
    writeFileSync(`${work}/dhclient.conf`, 'send host-name "nitest-dhclient";\n');
    // dhclient in the foreground (-d) so that this process, not init, reaps it once it holds a lease.
    const dhclient = Bun.spawn(["ip", "netns", "exec", nsName("c1"), "dhclient", "-d", "-1", "-cf", `${work}/dhclient.conf`,
      "-lf", `${work}/c1.leases`, "-pf", `${work}/c1.pid`, "-sf", "/bin/true", "eth0"], { stdout: "ignore", stderr: "ignore" });
    await waitFor(async () => (await Bun.file(`${work}/c1.leases`).exists()) && (await Bun.file(`${work}/c1.leases`).text()).includes("fixed-address"));
    dhclient.kill();
    await dhclient.exited;
    await runIn("c2", ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", "/bin/true",
      "-x", "hostname:nitest-udhcpc", "-V", "nitest-vendorclass"]);
    await Bun.sleep(SETTLE_MS);
    cap.stop();
    engine.finish();
    tracker.flush();
  }, 60000);

  afterAll(cleanup);

  test("the dhclient client: Google vendor from its MAC, host name and leased address", () => {
    const d = tracker.findByMac(GOOGLE_MAC);
    expect(d).toBeDefined();
    expect(d!.vendor.value).toBe("Google");
    expect(d!.hostname).toBe("nitest-dhclient");
    expect(d!.ips.some((ip) => /^10\.213\.7\.(5\d|[6-9]\d)$/.test(ip))).toBe(true);
    expect(d!.os.value).toBe("Linux"); // ISC dhclient's option-55 list
  });

  test("the busybox udhcpc client: Raspberry Pi vendor, host name and vendor class", () => {
    const d = tracker.findByMac(PI_MAC);
    expect(d).toBeDefined();
    expect(d!.vendor.value).toBe("Raspberry Pi");
    expect(d!.hostname).toBe("nitest-udhcpc");
    expect(d!.evidence.find((e) => e.signal === "dhcp.vendor_class")?.value).toBe("nitest-vendorclass");
    expect(d!.ips.some((ip) => ip.startsWith("10.213.7."))).toBe(true);
  });

  test("the dnsmasq server is a router device; every client raised one 'new' event", () => {
    const srv = tracker.findByMac(ends.srv)!;
    expect(srv.ips).toContain(SERVER_IP);
    expect(srv.type.value).toBe("router");
    for (const mac of [GOOGLE_MAC, PI_MAC]) expect(seen.filter(([d, isNew]) => d.mac === mac && isNew).length).toBe(1);
  });
});
