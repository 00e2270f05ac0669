/**
 * Disk full: the database on a small tmpfs that a filler file nearly fills. Writes fail, capture keeps
 * going, /api/health and the log (once) say why; deleting the filler lets the queued rows be written.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { countRows, integrityCheck, isRoot, missingTools, serve, sh, stopServe, waitFor, writeManyFlowsCapture } from "./helpers.ts";

const TMPFS_SIZE = "4m";
/**
 * Leaves ~1 MB: the schema and a few thousand flows fit, then writes fail. Tight on purpose: after
 * the filler goes, the database and its WAL only fit if the WAL is checkpointed before more is written.
 */
const FILLER_BYTES = 3 * 1024 * 1024;
/** 8 k one-packet flows, 3 ms apart, fed at 2x: ~12 s of capture, more than the 1 MB left holds. */
const PACKETS = 8000;
const GAP_MS = 3;
const SPEED = 2;

const missing = missingTools("mount", "umount");
const canRun = isRoot && missing.length === 0;
if (!canRun) console.warn(`disk-full test SKIPPED: needs root and mount/umount (missing: ${missing.join(", ") || "root"})`);

const work = mkdtempSync(path.join(tmpdir(), "ni-diskfull-"));
const small = path.join(work, "small");

describe.skipIf(!canRun)("database on a full file system", () => {
  beforeAll(() => {
    mkdirSync(small);
    sh("mount", "-t", "tmpfs", "-o", `size=${TMPFS_SIZE}`, "tmpfs", small);
  });
  afterAll(() => {
    Bun.spawnSync(["umount", small]);
    rmSync(work, { recursive: true, force: true });
  });

  test("capture keeps running, health and log say why, writing resumes when space is freed", async () => {
    const filler = path.join(small, "filler");
    writeFileSync(filler, new Uint8Array(FILLER_BYTES));
    const pcap = writeManyFlowsCapture(path.join(work, "flows.pcap"), PACKETS, GAP_MS);
    const db = path.join(small, "full.db");
    const s = await serve(["--read", pcap, "--speed", String(SPEED), "--database", db, "--flush-seconds", "1"]);
    try {
      const health = await waitFor(async () => {
        const h = (await s.api("/api/health")).body;
        return h.database.lastFlushError ? h : null;
      }, 30_000, "a failed write in /api/health");
      expect(health.status).toBe("degraded");
      expect(health.problems.join("\n")).toMatch(/full/i);
      expect(health.database.ok).toBe(false); // it still answers reads, but it cannot be written
      const packetsAtFailure = (await s.api("/api/capture/status")).body.packets;

      // Capture goes on in memory while the disk is full.
      const fed = await waitFor(async () => {
        const c = (await s.api("/api/capture/status")).body;
        return !c.running && c.packets === PACKETS ? c : null;
      }, 30_000, "the whole capture to be fed");
      expect(fed.packets).toBeGreaterThan(packetsAtFailure);
      expect(fed.error).toBeNull();
      await Bun.sleep(2500); // a few more failing flushes
      const stillFull = (await s.api("/api/health")).body;
      expect(stillFull.status).toBe("degraded");
      expect(stillFull.database.pendingRows).toBeGreaterThan(0);
      const storedWhileFull = countRows(db);
      expect(storedWhileFull).toBeLessThan(PACKETS);
      // Said once, not once per failing flush.
      const failures = s.log().split("\n").filter((l) => /disk is full/i.test(l));
      expect(failures, s.log()).toHaveLength(1);

      rmSync(filler);
      const recovered = await waitFor(async () => {
        const h = (await s.api("/api/health")).body;
        return h.status === "ok" && h.database.pendingRows === 0 ? h : null;
      }, 30_000, "writes to resume after freeing space").catch(async (e) => {
        throw new Error(`${e.message}\nhealth: ${JSON.stringify((await s.api("/api/health")).body)}\n${sh("ls", "-la", small)}\nlog:\n${s.log()}`);
      });
      expect(recovered.database.lastFlushError).toBeNull();
      expect(recovered.database.ok).toBe(true); // the truth now, not "degraded" forever
      expect(recovered.problems).toEqual([]);
      expect(s.log()).toMatch(/storage: writing again/);
      expect(countRows(db)).toBe(PACKETS);
    } finally {
      expect(await stopServe(s)).toBe(0);
    }
    expect(integrityCheck(db)).toBe("ok");
    // No torn or partial rows: every flow has its addresses and its one packet.
    const d = new Database(db, { readonly: true });
    const bad = d.query("SELECT count(*) AS n FROM flows WHERE src_ip IS NULL OR dst_ip != '192.168.1.1' OR packets_sent != 1").get() as { n: number };
    const distinct = d.query("SELECT count(DISTINCT src_ip) AS n FROM flows").get() as { n: number };
    d.close();
    expect(bad.n).toBe(0);
    expect(distinct.n).toBe(PACKETS);
  }, 120_000);
});
