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
import type { Alert } from "./alert.ts";

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

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A local HTTP receiver that records every request. `mode` makes it fail on purpose: "fail" answers
 * 503, "hang" never answers; `stop()`/`restart()` take it off the port and back (connection refused).
 */
export async function startReceiver() {
  const received: Received[] = [];
  let mode: "ok" | "fail" | "hang" = "ok";
  const hanging: (() => void)[] = [];
  const handler = async (req: Request) => {
    const url = new URL(req.url);
    const rec = { method: req.method, path: url.pathname + url.search, headers: Object.fromEntries((req.headers as unknown as { entries(): Iterable<[string, string]> }).entries()), body: await req.text() };
    if (mode === "fail") return new Response("down for maintenance", { status: 503 });
    if (mode === "hang") {
      await new Promise<void>((r) => hanging.push(r));
      return new Response("late", { status: 503 });
    }
    received.push(rec);
    return new Response("ok");
  };
  let server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
  const port = server.port;
  return {
    received,
    url: (p = "/hook") => `http://127.0.0.1:${port}${p}`,
    /** Requests waiting on a "hang" right now. */
    hangingCount: () => hanging.length,
    setMode(m: "ok" | "fail" | "hang") {
      mode = m;
      if (m !== "hang") for (const r of hanging.splice(0)) r();
    },
    async stop() {
      for (const r of hanging.splice(0)) r();
      await server.stop(true);
    },
    restart() {
      server = Bun.serve({ hostname: "127.0.0.1", port, fetch: handler });
    },
  };
}

/** An alert for tests (a high port scan unless overridden). */
export function alert(over: Partial<Alert> = {}): Alert {
  return {
    key: "threat:1", kind: "threat", severity: "high", title: "Port scan of 10.0.0.1", description: "120 ports in 60 s",
    time: 1_800_000_000, count: 1, device: null, threat: null, link: "http://pi:8000/#threat-1", ...over,
  };
}


/** A Mosquitto broker on a free loopback port (anonymous, or with one user), started for a test. */
export async function startMosquitto(opts: { user?: { name: string; password: string }; port?: number; tls?: boolean } = {}) {
  const { mkdtempSync: mk, writeFileSync, chmodSync } = await import("node:fs");
  const dir = mk(path.join(tmpdir(), "ni-alerts-mqtt-"));
  const port = opts.port ?? (await freePort());
  const conf = [`listener ${port} 127.0.0.1`, "persistence false", "log_dest stderr"];
  let ca: string | null = null;
  if (opts.tls) {
    // A throwaway CA and a server certificate for localhost / 127.0.0.1.
    const run = (args: string[]) => {
      const r = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=netinsight-test-ca"]);
    run(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
    writeFileSync(path.join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    run(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext"]);
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, "server.key"), 0o644);
    conf.push(`cafile ${dir}/ca.crt`, `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`);
    ca = path.join(dir, "ca.crt");
  }
  if (opts.user) {
    const pw = path.join(dir, "passwd");
    const made = Bun.spawnSync(["mosquitto_passwd", "-b", "-c", pw, opts.user.name, opts.user.password], { stderr: "pipe" });
    if (made.exitCode !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr.toString()}`);
    // Started as root, mosquitto reads its files as the mosquitto user.
    chmodSync(dir, 0o755);
    chmodSync(pw, 0o644);
    conf.push("allow_anonymous false", `password_file ${pw}`);
  } else {
    conf.push("allow_anonymous true");
  }
  writeFileSync(path.join(dir, "mosquitto.conf"), `${conf.join("\n")}\n`);
  const proc = Bun.spawn(["mosquitto", "-c", path.join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "pipe" });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = require("node:net").connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) break;
    if (proc.exitCode !== null || i > 100) throw new Error(`mosquitto did not start: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(50);
  }
  return {
    port,
    url: `${opts.tls ? "mqtts://localhost" : "mqtt://127.0.0.1"}:${port}`,
    /** With tls: the CA certificate's file. */
    caFile: ca,
    async stop() {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `mosquitto_sub -v`: "topic payload" lines, read as they come. */
export function mqttSubscribe(port: number, topics: string[], extra: string[] = []) {
  const proc = Bun.spawn(["mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), "-v", ...topics.flatMap((t) => ["-t", t]), ...extra], {
    stdout: "pipe", stderr: "pipe",
  });
  const lines: { topic: string; payload: string }[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        const sp = line.indexOf(" ");
        lines.push({ topic: line.slice(0, sp), payload: line.slice(sp + 1) });
      }
    }
  })();
  return {
    lines,
    async stop() {
      proc.kill();
      await proc.exited;
      await done.catch(() => undefined);
    },
    exited: () => proc.exited.then(() => done),
  };
}

/** The retained messages under `topics` right now (mosquitto_sub --retained-only). */
export async function mqttRetained(port: number, topics: string[]): Promise<Map<string, string>> {
  const sub = mqttSubscribe(port, topics, ["--retained-only", "-W", "1"]);
  await sub.exited();
  return new Map(sub.lines.map((l) => [l.topic, l.payload]));
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await Bun.sleep(100);
  }
}
