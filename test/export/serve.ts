/** `serve` as a real process for the export and packet-ring tests: start, wait for the API, call it, stop. */
import type { Subprocess } from "bun";
import { freePort } from "../support/net.ts";
import { BUN, ROOT } from "./collectors.ts";

export interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  base: string;
  token: string;
  output: () => Promise<string>;
}

export async function serve(db: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const env: Record<string, string> = { ...process.env, ...extraEnv } as Record<string, string>;
  delete env.API_TOKEN;
  const proc = Bun.spawn([BUN, "src/main.ts", "serve", "--host", "127.0.0.1", "--port", String(port), "--database", db, ...args], {
    cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited early: ${await new Response(proc.stderr).text()}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("serve did not answer /api/health within 30 s");
    await Bun.sleep(100);
  }
  const token = (await Bun.file(`${db}.token`).text()).trim();
  return { proc, base, token, output: async () => (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text()) };
}

export const call = (s: Served, p: string, init: RequestInit = {}) =>
  fetch(`${s.base}${p}`, { ...init, headers: { authorization: `Bearer ${s.token}`, ...(init.headers ?? {}) } });

export async function json(s: Served, p: string): Promise<any> {
  return (await call(s, p)).json();
}

/** Waits until a `--read` feed has ended. */
export async function waitFed(s: Served): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const body = await json(s, "/api/capture/status");
    if (!body.running && body.packets > 0) return;
    if (Date.now() > deadline) throw new Error(`capture did not finish: ${JSON.stringify(body)}`);
    await Bun.sleep(100);
  }
}

export async function stop(s: Served): Promise<number> {
  s.proc.kill("SIGTERM");
  return await s.proc.exited;
}

/** Runs a command to its end: exit code and both outputs. */
export function runCli(args: string[], env: Record<string, string> = {}): { code: number; out: string } {
  const r = Bun.spawnSync(args, { cwd: ROOT, env: { ...process.env, ...env } as Record<string, string> });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}
