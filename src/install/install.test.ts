import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envFileContent, installPlan, PATHS, UNIT_TEXT, uninstallPlan } from "./plan.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");

describe("systemd unit", () => {
  test("least privilege: unprivileged user, only CAP_NET_RAW and CAP_NET_ADMIN, read-only system", () => {
    const lines = new Set(UNIT_TEXT.split("\n").map((l) => l.trim()));
    for (const l of [
      "User=netinsight", "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN",
      "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/netinsight",
      "Restart=on-failure", "StandardOutput=journal",
    ]) expect(lines.has(l)).toBe(true);
    expect(UNIT_TEXT).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });

  test("hardened: private files and devices, hidden processes, only an ordinary service's system calls", () => {
    const lines = new Set(UNIT_TEXT.split("\n").map((l) => l.trim()));
    for (const l of [
      "UMask=0077", "SystemCallFilter=@system-service", "PrivateDevices=yes", "ProtectProc=invisible", "ProcSubset=pid",
      "RestrictNamespaces=yes", "LockPersonality=yes", "SystemCallArchitectures=native",
    ]) expect(lines.has(l), l).toBe(true);
  });

  const analyze = Bun.which("systemd-analyze");
  test.skipIf(!analyze)("systemd-analyze verify finds nothing to complain about", () => {
    // verify insists that ExecStart exists; point it at a binary that does, keep every other line.
    const dir = mkdtempSync(join(tmpdir(), "netinsight-unit-"));
    const unit = join(dir, "netinsight.service");
    writeFileSync(unit, UNIT_TEXT.replace(`ExecStart=${PATHS.binary}`, "ExecStart=/bin/true"));
    const r = Bun.spawnSync([analyze!, "verify", unit], { stderr: "pipe", stdout: "pipe" });
    const complaints = r.stderr.toString().split("\n").filter((l) => l.includes("netinsight.service"));
    expect(complaints).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  test.skipIf(!analyze)("systemd-analyze security rates the unit's exposure at most 2.5", () => {
    const dir = mkdtempSync(join(tmpdir(), "netinsight-unit-"));
    const unit = join(dir, "netinsight.service");
    writeFileSync(unit, UNIT_TEXT);
    const r = Bun.spawnSync([analyze!, "security", "--offline=true", "--no-pager", unit], { stderr: "pipe", stdout: "pipe" });
    const out = r.stdout.toString() + r.stderr.toString();
    if (/unrecognized option|unknown option/i.test(out)) return console.warn(`security rating SKIPPED: this systemd-analyze has no --offline (${out.split("\n")[0]})`);
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.5);
  });
});

describe("install plan", () => {
  const plan = installPlan({ executable: "/tmp/netinsight-linux-arm64", interface: "eth0", port: 8000, token: "t0k3n" });

  test("copies the executable, creates user, data dir, config and unit, then starts it", () => {
    const text = plan.map((s) => s.describe).join("\n");
    expect(text).toContain(`copy /tmp/netinsight-linux-arm64 to ${PATHS.binary}`);
    expect(plan.find((s) => s.command?.[0] === "useradd")?.command).toContain("--system");
    expect(plan.find((s) => s.write?.path === PATHS.unit)?.write?.content).toBe(UNIT_TEXT);
    const env = plan.find((s) => s.write?.path === PATHS.envFile)!.write!;
    expect(env.mode).toBe(0o640);
    expect(env.overwrite).toBe(false);
    expect(plan.at(-1)?.command).toEqual(["systemctl", "enable", "--now", "netinsight.service"]);
  });

  test("the environment file carries interface, port, database and token", () => {
    const env = envFileContent({ executable: "x", interface: "wlan0", port: 9000, token: "abc" });
    expect(env).toContain("NETWORK_INTERFACE=wlan0\n");
    expect(env).toContain("PORT=9000\n");
    expect(env).toContain("DATABASE_PATH=/var/lib/netinsight/netinsight.db\n");
    expect(env).toContain("API_TOKEN=abc\n");
    expect(env).toContain("HTTPS=auto\n");
    expect(env).toContain("BACKUP_DIR=/var/lib/netinsight/backups\n");
  });

  test("uninstall keeps data unless purged", () => {
    expect(uninstallPlan(false).some((s) => s.command?.includes(PATHS.dataDir))).toBe(false);
    expect(uninstallPlan(true).some((s) => s.command?.join(" ") === `rm -rf ${PATHS.dataDir}`)).toBe(true);
  });

  test("`install --dry-run` prints the steps and changes nothing", () => {
    const r = Bun.spawnSync([process.execPath, MAIN, "install", "--dry-run", "--interface", "eth9"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain("would create the system user netinsight");
    expect(out).toContain("$ systemctl enable --now netinsight.service");
    const bad = Bun.spawnSync([process.execPath, MAIN, "install", "--port", "99999"], { stdout: "pipe", stderr: "pipe" });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--port");
  });
});
