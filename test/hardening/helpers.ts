/**
 * Shared by the hardening tests: `serve` as a real process on a free port, API calls with the token,
 * polling, a synthetic many-flow capture, and a network namespace + veth pair made and removed here.
 */
import { Database } from "bun:sqlite";
import type { Subprocess } from "bun";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pcapBytes } from "../../src/capture/pcapfile.ts";
import { ethernet, ipv4, udp } from "../../src/decode/testing/frames.ts";
import { freePort } from "../support/net.ts";

export { freePort };

export const REPO = path.resolve(import.meta.dir, "../..");
export const TOKEN = "hardening-test-token-0123456789";
export const isRoot = process.getuid?.() === 0;
export const missingTools = (...tools: string[]) => tools.filter((t) => !Bun.which(t));

export function sh(...cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}


export interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  base: string;
  /** Everything written to stdout and stderr so far. */
  log: () => string;
  api: (p: string, init?: RequestInit) => Promise<{ status: number; body: any; headers: Headers }>;
}

/** Starts `serve` with `args` (prefix argv such as `unshare ...` with `wrap`) and waits for /api/health. */
export async function serve(args: string[], opts: { wrap?: string[]; env?: Record<string, string> } = {}): Promise<Served> {
  const port = await freePort();
  const argv = [...(opts.wrap ?? []), process.execPath, "src/main.ts", "serve", "--host", "127.0.0.1", "--port", String(port), ...args];
  const proc = Bun.spawn(argv, {
    cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN, ...opts.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  let out = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    const reader = s.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += dec.decode(value, { stream: true });
    }
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const base = `http://127.0.0.1:${port}`;
  const api = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...(init.headers ?? {}) } });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, headers: res.headers };
  };
  const served: Served = { proc, base, log: () => out, api };
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`serve exited early (${proc.exitCode}): ${out}`);
    try {
      return (await fetch(`${base}/api/health`)).ok;
    } catch {
      return false;
    }
  }, 30_000, "serve to answer /api/health");
  return served;
}

/** Polls `check` every 100 ms until it returns something truthy. */
export async function waitFor<T>(check: () => Promise<T> | T, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(100);
  }
}

export async function stopServe(s: Served): Promise<number> {
  if (s.proc.exitCode !== null) return s.proc.exitCode;
  s.proc.kill("SIGTERM");
  return await s.proc.exited;
}

/** Rows in a table, read through a connection of our own (WAL: alongside the server's). */
export function countRows(db: string, table = "flows"): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    d.close();
  }
}

export function integrityCheck(db: string): string {
  const d = new Database(db);
  try {
    return (d.query("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
  } finally {
    d.close();
  }
}

/**
 * A capture of `count` UDP packets each from its own source address (one flow per packet),
 * `gapMs` apart, so `--speed` paces a steady stream of new flows.
 */
export function writeManyFlowsCapture(file: string, count: number, gapMs: number): string {
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  const packets: { ts: number; data: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const ip = ipv4({ src, dst: "192.168.1.1", proto: 17 }, udp({ sport: 10000 + (i % 50000), dport: 9999 }, new Uint8Array(32)));
    packets.push({ ts: t0 + (i * gapMs) / 1000, data: ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: 0x0800 }, ip) });
  }
  writeFileSync(file, pcapBytes(1, packets));
  return file;
}

/** A network namespace with one end of a veth pair; the other end stays here with HOST_IP. */
export class VethPair {
  readonly ns: string;
  readonly hostIf: string;
  readonly nsIf: string;
  constructor(readonly prefix: string, readonly subnet: number) {
    const tag = (process.pid % 100000).toString();
    this.ns = `ni-${prefix}-${tag}`;
    this.hostIf = `n${prefix}h${tag}`.slice(0, 15);
    this.nsIf = `n${prefix}n${tag}`.slice(0, 15);
  }
  get hostIp() { return `10.213.${this.subnet}.1`; }
  get nsIp() { return `10.213.${this.subnet}.2`; }

  create(): void {
    if (!sh("ip", "netns", "list").includes(this.ns)) sh("ip", "netns", "add", this.ns);
    sh("ip", "-n", this.ns, "link", "set", "lo", "up");
    this.link();
  }

  /** (Re)creates the veth pair with the same names and addresses. */
  link(): void {
    sh("ip", "link", "add", this.hostIf, "type", "veth", "peer", "name", this.nsIf);
    sh("ip", "link", "set", this.nsIf, "netns", this.ns);
    sh("ip", "addr", "add", `${this.hostIp}/24`, "dev", this.hostIf);
    sh("ip", "link", "set", this.hostIf, "up");
    sh("ip", "-n", this.ns, "addr", "add", `${this.nsIp}/24`, "dev", this.nsIf);
    sh("ip", "-n", this.ns, "link", "set", this.nsIf, "up");
  }

  unlink(): void {
    Bun.spawnSync(["ip", "link", "del", this.hostIf]);
  }

  ping(count = 3): void {
    Bun.spawnSync(["ip", "netns", "exec", this.ns, "ping", "-c", String(count), "-i", "0.2", "-W", "1", this.hostIp], { stdout: "pipe", stderr: "pipe" });
  }

  destroy(): void {
    this.unlink();
    Bun.spawnSync(["ip", "netns", "del", this.ns]);
  }
}
