/**
 * Interface flaps: the captured veth is deleted and recreated under the same name; live capture
 * reopens it by itself, /api/capture/status shows the gap, and packets after the recreation are seen.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isRoot, missingTools, serve, stopServe, VethPair, waitFor } from "./helpers.ts";

const missing = missingTools("ip", "ping");
const canRun = isRoot && missing.length === 0;
if (!canRun) console.warn(`flap test SKIPPED: needs root, ip (iproute2) and ping (missing: ${missing.join(", ") || "root"})`);

const veth = new VethPair("flp", 31);
const dir = mkdtempSync(path.join(tmpdir(), "ni-flap-"));

describe.skipIf(!canRun)("the captured interface is deleted and recreated", () => {
  beforeAll(() => veth.create());
  afterAll(() => {
    veth.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test("capture resumes by itself and the status shows the gap", async () => {
    const s = await serve(["--interface", veth.hostIf, "--database", path.join(dir, "flap.db"), "--flush-seconds", "1"]);
    const icmpPackets = async () => {
      const flows = (await s.api(`/api/flows?ip=${veth.nsIp}&protocol=ICMP&limit=1000`)).body.flows as any[];
      return flows.reduce((n, f) => n + f.packetsSent + f.packetsReceived, 0);
    };
    try {
      // Ping until the capture has seen some: it may open a moment after the API answers.
      await waitFor(async () => {
        if ((await icmpPackets()) >= 4) return true;
        veth.ping(2);
        return false;
      }, 30_000, "pings before the flap");
      expect((await s.api("/api/capture/status")).body).toMatchObject({ running: true, restarts: 0, interruptions: [] });

      veth.unlink();
      const down = await waitFor(async () => {
        const c = (await s.api("/api/capture/status")).body;
        return c.interruptions.length === 1 ? c : null;
      }, 10_000, "the capture to notice the interface is gone");
      expect(down.running).toBe(true);
      expect(down.interruptions[0].to).toBeNull();
      expect(down.error).toContain(veth.hostIf);
      const health = await waitFor(async () => {
        const h = (await s.api("/api/health")).body;
        return h.status === "degraded" ? h : null;
      }, 5000, "/api/health to report the lost interface");
      expect(health.problems.join("\n")).toContain(veth.hostIf);

      await Bun.sleep(1500); // at least one failed reopen while it is gone
      veth.link();
      const up = await waitFor(async () => {
        const c = (await s.api("/api/capture/status")).body;
        return c.restarts === 1 ? c : null;
      }, 40_000, "the capture to reopen the recreated interface");
      expect(up).toMatchObject({ running: true, error: null, interface: veth.hostIf });
      const gap = up.interruptions[0];
      expect(Date.parse(gap.to)).toBeGreaterThan(Date.parse(gap.from));
      expect(gap.reason).toContain(veth.hostIf);

      const before = await icmpPackets();
      const packetsBefore = up.packets;
      veth.ping(3);
      await waitFor(async () => (await icmpPackets()) >= before + 6, 10_000, "pings after the recreation");
      const after = (await s.api("/api/capture/status")).body;
      // Counted across both handles: nothing from before the flap is forgotten.
      expect(after.packets).toBeGreaterThanOrEqual(packetsBefore + 6);
      expect(s.log()).toMatch(/again after/);
    } finally {
      expect(await stopServe(s)).toBe(0);
    }
  }, 90_000);
});
