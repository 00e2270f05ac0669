/**
 * Shared by the appliance tests: build the executables once (reused from dist/ while newer than
 * every source), run them, and wait for a served API.
 */
import type { Subprocess } from "bun";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { freePort } from "../support/net.ts";
export { freePort };

export const ROOT = path.resolve(import.meta.dir, "../..");
export const SAMPLE = path.join(ROOT, "samples", "home-lab.pcap");
export const MAIN = path.join(ROOT, "src", "main.ts");

export type Arch = "x64" | "arm64";
export const exePath = (arch: Arch) => path.join(ROOT, "dist", `netinsight-linux-${arch}`);

/** Everything that ends up inside the executable; node_modules counts through its lock file. */
const SOURCES = ["src", "native/build", "package.json", "scripts/build.ts", "node_modules/.package-lock.json", "bun.lock"];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file shows as a newer directory
  for (const e of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

export function isFresh(arch: Arch): boolean {
  const exe = exePath(arch);
  if (!existsSync(exe)) return false;
  const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(ROOT, s))));
  return statSync(exe).mtimeMs >= sources;
}

/** For the hooks that build: the first cross build downloads Bun's runtime for that target. */
export const BUILD_TIMEOUT_MS = 300_000;

const built = new Map<Arch, { ok: boolean; log: string }>();

/** Builds dist/netinsight-linux-<arch> unless it is newer than every source; once per test run. */
export function ensureExecutable(arch: Arch): { ok: boolean; log: string } {
  const known = built.get(arch);
  if (known) return known;
  let result = { ok: true, log: "reused (newer than every source)" };
  if (!isFresh(arch)) {
    const r = Bun.spawnSync([process.execPath, path.join(ROOT, "scripts", "build.ts"), arch], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    result = { ok: r.exitCode === 0 && existsSync(exePath(arch)), log: r.stdout.toString() + r.stderr.toString() };
  }
  built.set(arch, result);
  return result;
}

export function run(argv: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const r = Bun.spawnSync(argv, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, signal: r.signalCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The report of `bun src/main.ts analyze <file> --json`: what every executable must reproduce. */
export function checkoutReport(file: string): unknown {
  const r = run([process.execPath, MAIN, "analyze", file, "--json"]);
  if (r.code !== 0) throw new Error(`bun src/main.ts analyze failed (${r.code}): ${r.err}`);
  return JSON.parse(r.out);
}


/** Polls `url` until it answers 200 or the process exits; returns the parsed JSON body. */
export async function waitForJson(url: string, proc: Subprocess, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return await res.json();
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(250);
  }
  const output = proc.stderr instanceof ReadableStream ? await readAll(proc, 1000) : "";
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last}; exit: ${proc.exitCode ?? proc.signalCode})\n${output}`);
}

async function readAll(proc: Subprocess, timeoutMs: number): Promise<string> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  const text = new Response(proc.stderr as ReadableStream).text();
  return Promise.race([text, Bun.sleep(timeoutMs).then(() => "(stderr not available)")]);
}

/** Sends SIGTERM and waits for the exit; returns the exit code (or the signal name when killed). */
export async function stop(proc: Subprocess, timeoutMs: number): Promise<number | string> {
  proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => undefined)]);
  if (exited === undefined) {
    proc.kill("SIGKILL");
    await proc.exited;
    return "timeout";
  }
  return proc.signalCode ?? proc.exitCode ?? "unknown";
}
