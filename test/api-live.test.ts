/**
 * `serve` capturing live: a network namespace and veth pair made here, ping through it, and the
 * API shows the flow and the device while capturing; capture stop and start over the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./support/net.ts";

const canRun = process.getuid?.() === 0 && Bun.which("ip") !== null && Bun.which("ping") !== null;
if (!canRun) console.warn("api-live tests skipped: they need root, `ip` (iproute2) and `ping` to make a netns + veth pair");

const REPO = path.resolve(import.meta.dir, "..");
const tag = (process.pid % 100000).toString();
const ns = `ni-api-${tag}`;
const hostIf = `nah${tag}`;
const nsIf = `nan${tag}`;
const HOST_IP = "10.213.7.1", NS_IP = "10.213.7.2", NS_MAC = "02:13:07:00:00:02";
const TOKEN = "api-live-test-token-0123";
const dir = mkdtempSync(path.join(tmpdir(), "ni-api-live-"));

function sh(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
}


describe.skipIf(!canRun)("serve on a live interface", () => {
  beforeAll(() => {
    sh(["ip", "netns", "add", ns]);
    sh(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    sh(["ip", "link", "set", nsIf, "netns", ns]);
    sh(["ip", "addr", "add", `${HOST_IP}/24`, "dev", hostIf]);
    sh(["ip", "link", "set", hostIf, "up"]);
    sh(["ip", "-n", ns, "link", "set", nsIf, "address", NS_MAC]);
    sh(["ip", "-n", ns, "addr", "add", `${NS_IP}/24`, "dev", nsIf]);
    sh(["ip", "-n", ns, "link", "set", nsIf, "up"]);
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  });
  afterAll(() => {
    Bun.spawnSync(["ip", "link", "del", hostIf]);
    Bun.spawnSync(["ip", "netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("flows and devices appear while capturing; capture stops and starts over the API", async () => {
    const port = await freePort();
    const proc = Bun.spawn([process.execPath, "src/main.ts", "serve", "--interface", hostIf, "--host", "127.0.0.1", "--port", String(port),
      "--database", path.join(dir, "live.db"), "--flush-seconds", "1"], { cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "pipe", stderr: "pipe" });
    const base = `http://127.0.0.1:${port}`;
    const api = async (p: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${base}/api/health`)).ok) break;
        } catch {
          await Bun.sleep(100);
        }
      }
      const status = await api("/api/capture/status");
      expect(status.body).toMatchObject({ running: true, mode: "live", interface: hostIf, error: null });

      sh(["ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", HOST_IP]);
      let icmp: any;
      for (let i = 0; i < 50 && !icmp; i++) {
        const flows = (await api(`/api/flows?ip=${NS_IP}&protocol=ICMP`)).body.flows as any[];
        icmp = flows.find((f) => f.packetsSent >= 3 && f.packetsReceived >= 3);
        if (!icmp) await Bun.sleep(100);
      }
      expect(icmp).toMatchObject({ srcIp: NS_IP, dstIp: HOST_IP, protocol: "ICMP", packetsSent: 3, packetsReceived: 3, srcMac: NS_MAC });
      let device: any;
      for (let i = 0; i < 50 && !device; i++) {
        device = ((await api("/api/devices")).body.devices as any[]).find((d) => d.mac === NS_MAC);
        if (!device) await Bun.sleep(100);
      }
      expect(device.ips).toContain(NS_IP);
      expect((await api("/api/capture/status")).body.packets).toBeGreaterThanOrEqual(6);

      expect((await api("/api/capture/start", { method: "POST" })).status).toBe(409);
      const stopped = await api("/api/capture/stop", { method: "POST" });
      expect(stopped).toMatchObject({ status: 200, body: { running: false, interface: hostIf } });
      const started = await api("/api/capture/start", { method: "POST", body: JSON.stringify({ filter: "icmp" }) });
      expect(started).toMatchObject({ status: 200, body: { running: true, interface: hostIf, filter: "icmp" } });
      const bad = await api("/api/capture/stop", { method: "POST" });
      expect(bad.status).toBe(200);
      const badFilter = await api("/api/capture/start", { method: "POST", body: JSON.stringify({ filter: "not a filter (" }) });
      expect(badFilter.status).toBe(400);
      expect(badFilter.body.error.message).toContain("filter");
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });
});
