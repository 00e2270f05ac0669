/**
 * CAPTURE_BUFFER_MB / --capture-buffer-mb: the kernel ring serve's live capture asks libpcap for.
 * libpcap maps the whole TPACKET ring into the process: /proc/PID/maps shows it as one socket
 * mapping of exactly that size.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./support/net.ts";

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("serve-capture-buffer tests skipped: live capture on lo needs root (or CAP_NET_RAW)");

const MAIN = path.resolve(import.meta.dir, "../src/main.ts");
let proc: Subprocess | null = null;
let dir = "";

afterEach(async () => {
  proc?.kill();
  await proc?.exited;
  proc = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sizes in MB of the process's socket mappings (the capture ring). */
function socketMappings(pid: number): number[] {
  const sizes: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
    if (!line.includes("socket:[")) continue;
    const [from, to] = line.split(" ")[0].split("-").map((h) => parseInt(h, 16));
    sizes.push((to - from) / (1 << 20));
  }
  return sizes;
}

/** Starts serve capturing on lo and returns the ring sizes once capture is up. */
async function ringOf(extra: string[], env: Record<string, string> = {}): Promise<number[]> {
  dir = mkdtempSync(path.join(tmpdir(), "ni-ring-"));
  proc = Bun.spawn([process.execPath, MAIN, "serve", "-i", "lo", "-d", path.join(dir, "n.db"), "-p", String(await freePort()), "--https", "off", ...extra], {
    stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env },
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${await new Response(proc.stderr as ReadableStream).text()}`);
    const rings = socketMappings(proc.pid).filter((mb) => mb >= 1);
    if (rings.length > 0) return rings;
    if (Date.now() > deadline) throw new Error("no capture ring mapped within 20 s");
    await Bun.sleep(100);
  }
}

describe.skipIf(!isRoot)("serve's live capture ring", () => {
  test("16 MB by default", async () => {
    expect(await ringOf([])).toEqual([16]);
  }, 30_000);

  test("--capture-buffer-mb sets it", async () => {
    expect(await ringOf(["--capture-buffer-mb", "4"])).toEqual([4]);
  }, 30_000);

  test("CAPTURE_BUFFER_MB from the environment, and a bad value stops serve naming the setting", async () => {
    expect(await ringOf([], { CAPTURE_BUFFER_MB: "8" })).toEqual([8]);
    const bad = Bun.spawnSync([process.execPath, MAIN, "serve", "-i", "lo", "-d", path.join(dir, "m.db"), "--capture-buffer-mb", "0"], { stdout: "pipe", stderr: "pipe" });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.toString()).toContain("CAPTURE_BUFFER_MB");
  }, 30_000);
});
