/**
 * Test helpers for the notification and metrics tests: a real service (in this thread) on a free
 * port over a temporary database, fed a capture file, and a tool check that skips with a message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, type ConfigInput } from "../config.ts";
import { runService, type RunningService } from "../server/run.ts";
import { createLogger, silentLogger, type Logger } from "../service/logger.ts";
import { freePort } from "../../test/support/net.ts";

export const HOME_LAB_PCAP = path.resolve(import.meta.dir, "../../samples/home-lab.pcap");

export interface TestService {
  running: RunningService;
  base: string;
  token: string;
  dir: string;
  logs: string[];
  call(p: string, init?: RequestInit): Promise<Response>;
  /** Feeds a capture at full speed and waits until it has been read. */
  feed(file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestService(settings: ConfigInput = {}, opts: { log?: Logger } = {}): Promise<TestService> {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-alerts-"));
  const port = await freePort();
  const config = loadConfig({
    flags: { HOST: "127.0.0.1", PORT: String(port), DATABASE_PATH: path.join(dir, "t.db"), API_TOKEN: "test-token-0123456789", ...settings },
    env: {}, cwd: dir,
  });
  const logs: string[] = [];
  const log = opts.log ?? createLogger("debug", (l) => logs.push(l));
  const running = await runService(config, { log: log ?? silentLogger, inProcess: true });
  const base = running.url;
  const token = running.token.token;
  const call = (p: string, init: RequestInit = {}) =>
    fetch(`${base}${p}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  return {
    running, base, token, dir, logs, call,
    async feed(file) {
      await running.feedFile(file, 0);
      for (let i = 0; i < 600; i++) {
        const s = (await (await call("/api/capture/status")).json()) as { running: boolean; packets: number };
        if (!s.running && s.packets > 0) return;
        await Bun.sleep(50);
      }
      throw new Error("the capture was not read within 30 s");
    },
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when `cmd` is on PATH; otherwise prints why the test is skipped. */
export function haveTool(cmd: string, why: string): boolean {
  if (Bun.which(cmd)) return true;
  console.warn(`skipped: ${why} needs \`${cmd}\` (Debian: see scripts/test-packages.txt)`);
  return false;
}
