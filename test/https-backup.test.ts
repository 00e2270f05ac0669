/**
 * serve over HTTPS with its own self-signed certificate (curl --cacert, the fingerprint it prints,
 * WebSocket over wss), plain HTTP on request, scheduled backups while capture writes, and
 * `restore`: refused while serve holds the database, then the backup is what serve shows.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import path from "node:path";
import { listBackups, checkDatabaseFile } from "../src/backup/backup.ts";
import { freePort } from "./support/net.ts";

const REPO = path.resolve(import.meta.dir, "..");
const SAMPLE = path.join(REPO, "samples", "home-lab.pcap");
const TOKEN = "https-backup-test-token-0123456789";
const dir = mkdtempSync(path.join(tmpdir(), "ni-https-"));
const db = path.join(dir, "ni.db");
const backups = path.join(dir, "backups");
const procs: Subprocess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function serve(args: string[]) {
  const p = Bun.spawn([process.execPath, "src/main.ts", "serve", "--host", "127.0.0.1", "--database", db, ...args], {
    cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "pipe", stderr: "pipe",
  });
  procs.push(p);
  let err = "";
  const reader = p.stderr.getReader();
  void (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) err += new TextDecoder().decode(r.value);
  })();
  return { p, stderr: () => err };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, extra?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (${last})${extra ? `\n${extra()}` : ""}`);
}

const cli = (args: string[]) => {
  const r = Bun.spawnSync([process.execPath, "src/main.ts", ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

describe("HTTPS, backups and restore", () => {
  let flowsInBackup = 0;
  let backupFile = "";

  test("HTTPS with a self-signed certificate made on first start: curl --cacert, the printed fingerprint, wss; backups while capture writes", async () => {
    const port = await freePort();
    const s = serve(["--read", SAMPLE, "--speed", "0", "--port", String(port), "--https", "on", "--backup-dir", backups, "--backup-keep", "3", "--flush-seconds", "1"]);
    const fingerprint = await until("the fingerprint line", () => /HTTPS: self-signed certificate (\S+) \(made now\), SHA-256 fingerprint ([0-9A-F:]{95})/.exec(s.stderr()) ?? undefined);
    expect(fingerprint[1]).toBe(`${db}.tls.crt`);
    const ca = readFileSync(`${db}.tls.crt`, "utf8");
    const base = `https://localhost:${port}`;
    const health = await until("health over HTTPS", async () => {
      const res = await fetch(`${base}/api/health`, { tls: { ca } } as RequestInit);
      return res.status === 200 ? ((await res.json()) as { status: string }) : undefined;
    });
    expect(typeof health.status).toBe("string");
    expect(s.stderr()).toContain(`serving on https://127.0.0.1:${port}`);

    if (Bun.which("curl")) {
      const curl = Bun.spawnSync(["curl", "-sS", "--cacert", `${db}.tls.crt`, "-H", `Authorization: Bearer ${TOKEN}`, `${base}/api/capture/status`], { stdout: "pipe", stderr: "pipe" });
      expect(curl.stderr.toString()).toBe("");
      expect(JSON.parse(curl.stdout.toString())).toHaveProperty("running");
      // Without the certificate, curl refuses: it is self-signed.
      const untrusted = Bun.spawnSync(["curl", "-sS", `${base}/api/health`], { stdout: "pipe", stderr: "pipe" });
      expect(untrusted.exitCode).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
    }

    // What a client sees on the wire is the certificate whose fingerprint serve printed.
    const seen = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false }, () => {
        resolve(sock.getPeerCertificate().fingerprint256);
        sock.end();
      });
      sock.once("error", reject);
    });
    expect(seen).toBe(fingerprint[2]!);

    // Plain HTTP on the HTTPS port gets no API.
    const plain = await fetch(`http://localhost:${port}/api/health`).then((r) => r.status, () => "refused");
    expect(plain).not.toBe(200);

    // The WebSocket feed over wss.
    const hello = await new Promise<{ type: string }>((resolve, reject) => {
      const ws = new WebSocket(`wss://localhost:${port}/ws?token=${TOKEN}`, { tls: { ca } } as unknown as string[]);
      ws.onmessage = (e) => {
        resolve(JSON.parse(String(e.data)));
        ws.close();
      };
      ws.onerror = () => reject(new Error("wss failed"));
    });
    expect(hello.type).toBe("hello");

    // The first backup comes a few seconds after start (none existed), while capture writes.
    backupFile = await until("a backup", () => listBackups(backups)[0], 60_000);
    expect(checkDatabaseFile(backupFile, true)).toBe("ok");
    expect(s.stderr()).toMatch(/backup: \S+netinsight-\d{8}-\d{6}\.db \(\d+\.\d MB/);

    // restore is refused while serve holds the database.
    const refused = cli(["restore", backupFile, "--database", db]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`restore: ${db} is in use by process ${s.p.pid} `);
    s.p.kill("SIGTERM");
    expect(await s.p.exited).toBe(0);
    const { Database } = await import("bun:sqlite");
    const b = new Database(backupFile, { readonly: true });
    flowsInBackup = (b.query("SELECT count(*) AS n FROM flows").get() as { n: number }).n;
    b.close();
  }, 120_000);

  test("restore puts the backup in place; serve with --https off shows it over plain HTTP", async () => {
    const r = cli(["restore", backupFile, "--database", db]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`restored ${db} from ${backupFile}`);
    const kept = /kept as (\S+)/.exec(r.out)?.[1];
    expect(kept && existsSync(kept)).toBe(true);
    const bad = cli(["restore", path.join(dir, "no-such.db"), "--database", db]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("no such file");

    const port = await freePort();
    const s = serve(["--no-capture", "--port", String(port), "--https", "off"]);
    const flows = await until("flows over plain HTTP", async () => {
      if (s.p.exitCode !== null) throw new Error(`serve ended (${s.p.exitCode}): ${s.stderr()}`);
      const res = await fetch(`http://127.0.0.1:${port}/api/flows?limit=1000`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      return (await res.json()) as { count: number };
    }, 30_000, s.stderr);
    expect(s.stderr()).not.toContain("HTTPS:");
    s.p.kill("SIGTERM");
    expect(await s.p.exited).toBe(0);
    expect(flowsInBackup).toBeGreaterThan(0);
    expect(flows.count).toBe(flowsInBackup);
  }, 60_000);

  const nobody = Bun.spawnSync(["id", "-u", "nobody"]).stdout.toString().trim();
  test.skipIf(process.getuid?.() !== 0 || !nobody)("started as root with --user nobody: the certificate and key go to that user with the database", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "ni-https-user-"));
    chmodSync(work, 0o755);
    const userDb = path.join(work, "ni.db");
    const port = await freePort();
    const p = Bun.spawn([process.execPath, "src/main.ts", "serve", "--no-capture", "--host", "127.0.0.1", "--port", String(port), "--https", "on", "--database", userDb, "--user", "nobody"], {
      cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN }, stdout: "ignore", stderr: "pipe",
    });
    procs.push(p);
    try {
      await until("health over HTTPS", async () => {
        const res = await fetch(`https://127.0.0.1:${port}/api/health`, { tls: { ca: readFileSync(`${userDb}.tls.crt`, "utf8") } } as RequestInit);
        return res.status === 200 ? true : undefined;
      });
      // Handed over once capture and database are open; by then health answers.
      const owner = await until("files handed to nobody", () => (statSync(`${userDb}.tls.key`).uid === Number(nobody) ? true : undefined));
      expect(owner).toBe(true);
      expect(statSync(`${userDb}.tls.crt`).uid).toBe(Number(nobody));
      expect(statSync(`${userDb}.tls.key`).mode & 0o777).toBe(0o600);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
