/**
 * Least privilege: started as root with `--user nobody`, serve opens the capture and the database,
 * hands the database files over and switches every thread to nobody; flows still arrive from a veth
 * ping afterwards, and restarting capture says it needs capabilities.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { threadIds } from "../../src/service/privileges.ts";
import { integrityCheck, isRoot, missingTools, serve, stopServe, VethPair, waitFor } from "./helpers.ts";

const NOBODY = 65534;
const missing = missingTools("ip", "ping");
const canRun = isRoot && missing.length === 0;
if (!canRun) console.warn(`privilege-drop test SKIPPED: needs root, ip (iproute2) and ping (missing: ${missing.join(", ") || "root"})`);

const veth = new VethPair("prv", 32);
const work = mkdtempSync(path.join(tmpdir(), "ni-priv-"));

describe.skipIf(!canRun)("started as root with a user to run as", () => {
  beforeAll(() => {
    chmodSync(work, 0o755); // nobody must reach the data directory serve creates inside
    veth.create();
  });
  afterAll(() => {
    veth.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  test("every thread runs as the user after start, and capture keeps working", async () => {
    const dataDir = path.join(work, "data");
    const db = path.join(dataDir, "priv.db");
    const s = await serve(["--interface", veth.hostIf, "--database", db, "--flush-seconds", "1", "--user", "nobody"]);
    try {
      await waitFor(() => /running as nobody/.test(s.log()), 10_000, "the switch to nobody");
      const threads = threadIds(s.proc.pid);
      expect(threads.length).toBeGreaterThan(1); // the HTTP thread, the pipeline worker, Bun's own
      for (const t of threads) expect(t).toMatchObject({ uid: NOBODY, gid: NOBODY });
      for (const f of [dataDir, db, `${db}-wal`, `${db}-shm`]) expect(statSync(f).uid).toBe(NOBODY);

      // The capture handle opened as root keeps working after the switch.
      veth.ping(3);
      const flow = await waitFor(async () => {
        const flows = (await s.api(`/api/flows?ip=${veth.nsIp}&protocol=ICMP`)).body.flows as any[];
        return flows.find((f) => f.packetsSent >= 3 && f.packetsReceived >= 3);
      }, 10_000, "the ping flow");
      expect(flow.srcIp).toBe(veth.nsIp);
      await waitFor(async () => (await s.api("/api/health")).body.database.lastFlush !== null, 5000, "a flush as nobody");
      expect((await s.api("/api/health")).body.database.lastFlushError).toBeNull();

      // Opening a capture again needs CAP_NET_RAW, which root's capabilities no longer give.
      expect((await s.api("/api/capture/stop", { method: "POST" })).status).toBe(200);
      const restart = await s.api("/api/capture/start", { method: "POST" });
      expect(restart.status).toBe(503);
      expect(restart.body.error.message).toContain("CAP_NET_RAW");
    } finally {
      expect(await stopServe(s)).toBe(0);
    }
    expect(integrityCheck(db)).toBe("ok");
  }, 60_000);

  test("an unknown user stops start-up naming the setting", async () => {
    const r = Bun.spawnSync([process.execPath, "src/main.ts", "serve", "--no-capture", "--database", path.join(work, "x.db"), "--user", "no-such-user-ni"], {
      cwd: path.resolve(import.meta.dir, "../.."), stdout: "pipe", stderr: "pipe",
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("RUN_AS_USER");
  });
});
