/**
 * One arm64 VM session for vm.test.ts: boots scripts/vm/run-arm64.sh with vm-guest.sh, serves the
 * control endpoint the guest reports to (its only reachable address, 10.0.2.100:8080), and hands
 * each step's result to the test as it arrives.
 */
import type { Server, Subprocess } from "bun";
import path from "node:path";
import { ROOT } from "./exe.ts";

export const RUN_ARM64 = path.join(ROOT, "scripts", "vm", "run-arm64.sh");
export const KERNEL_DIR = process.env.VM_KERNEL_DIR ?? path.resolve(ROOT, "..", "shared", "vm");
export const GUEST = path.join(import.meta.dir, "vm-guest.sh");

export interface StepResult {
  /** Exit code of the step inside the VM. */
  exit: number;
  /** Guest uptime (s) when the step started and ended. */
  start: number;
  end: number;
  out: string;
  err: string;
  query: URLSearchParams;
}

export interface VmOptions {
  variant: "16k" | "4k";
  exe: string;
  sample: string;
  probe: string | null;
  token: string;
  apiPort: number;
  cwd: string;
  timeoutSeconds: number;
}

export class VmSession {
  readonly started = performance.now();
  /** Console output of the VM (kernel banner, the guest's own lines). */
  console = "";
  private results = new Map<string, StepResult>();
  private errs = new Map<string, string>();
  private waiters = new Map<string, (r: StepResult) => void>();
  private stopRequested = false;
  ticks = 0;
  readonly exited: Promise<number>;

  private constructor(private control: Server<unknown>, readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    this.exited = (async () => {
      const decoder = new TextDecoder();
      const reader = proc.stdout.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) this.console += decoder.decode(r.value, { stream: true });
      return proc.exited;
    })();
  }

  static start(o: VmOptions): VmSession {
    let session: VmSession | undefined;
    const control = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const url = new URL(req.url);
        if (url.pathname === "/tick") {
          if (session) session.ticks++;
          return new Response(session?.stopRequested ? "stop" : "go");
        }
        const m = /^\/result\/([\w.-]+)$/.exec(url.pathname);
        if (m && req.method === "POST" && session) session.receive(m[1]!, url.searchParams, await req.text());
        return new Response("ok");
      },
    });
    // setsid: its own process group, so kill() reaches qemu and timeout below the script too.
    const proc = Bun.spawn(["setsid", RUN_ARM64, o.variant, GUEST, o.exe, o.sample, ...(o.probe ? [o.probe] : ["-"]), o.token], {
      cwd: o.cwd,
      env: {
        ...process.env,
        VM_KERNEL_DIR: KERNEL_DIR,
        VM_PORT: String(o.apiPort),
        VM_CONTROL: String(control.port),
        VM_TIMEOUT: String(o.timeoutSeconds),
        // The Raspberry Pi 5's core: the executable must not need more (e.g. SVE, which "max" has).
        VM_CPU: process.env.VM_CPU ?? "cortex-a76",
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    session = new VmSession(control, proc);
    return session;
  }

  private receive(name: string, query: URLSearchParams, body: string): void {
    if (name.endsWith(".err")) {
      this.errs.set(name.slice(0, -4), body);
      return;
    }
    const r: StepResult = {
      exit: Number(query.get("exit")), start: Number(query.get("start")), end: Number(query.get("end")),
      out: body, err: this.errs.get(name) ?? "", query,
    };
    this.results.set(name, r);
    this.waiters.get(name)?.(r);
  }

  /** The result of a guest step; rejects when the VM ends first or after timeoutMs. */
  async result(name: string, timeoutMs: number): Promise<StepResult> {
    const known = this.results.get(name);
    if (known) return known;
    const arrived = new Promise<StepResult>((resolve) => this.waiters.set(name, resolve));
    const ended = this.exited.then(async (code) => {
      throw new Error(`the VM ended (exit ${code}) before reporting "${name}":\n${this.console.slice(-3000)}\n${await new Response(this.proc.stderr).text()}`);
    });
    const late = Bun.sleep(timeoutMs).then(() => {
      throw new Error(`no "${name}" from the VM within ${timeoutMs} ms:\n${this.console.slice(-3000)}`);
    });
    return Promise.race([arrived, ended, late]);
  }

  /** The guest's boot line: kernel, page size, uptime at /init. */
  banner(): { pagesize: number; upSeconds: number; line: string } | null {
    const m = /===== VM: (.*), PAGESIZE=(\d+), .*up ([\d.]+)s =====/.exec(this.console);
    return m ? { line: m[0], pagesize: Number(m[2]), upSeconds: Number(m[3]) } : null;
  }

  /** Tells the guest to stop serving (at its next tick) and waits for the VM to power off. */
  async finish(timeoutMs: number): Promise<number | "timeout"> {
    this.stopRequested = true;
    const code = await Promise.race([this.exited, Bun.sleep(timeoutMs).then(() => "timeout" as const)]);
    this.kill();
    return code;
  }

  kill(): void {
    if (this.proc.exitCode === null) {
      try {
        process.kill(-this.proc.pid, "SIGTERM");
      } catch {
        this.proc.kill("SIGTERM");
      }
    }
    this.control.stop(true);
  }
}
