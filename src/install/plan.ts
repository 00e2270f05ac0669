/**
 * `install` and `uninstall` as a list of steps, so `--dry-run` prints exactly what would be done
 * and tests can read the plan without touching the system.
 */
import unitText from "./netinsight.service" with { type: "text" };

export const PATHS = {
  binary: "/usr/local/bin/netinsight",
  unit: "/etc/systemd/system/netinsight.service",
  configDir: "/etc/netinsight",
  envFile: "/etc/netinsight/netinsight.env",
  dataDir: "/var/lib/netinsight",
  user: "netinsight",
} as const;

export const UNIT_TEXT: string = unitText;

export interface Step {
  /** What a person reads in --dry-run and in the log. */
  describe: string;
  /** A shell command (run with argv, never a shell) or a file to write. */
  command?: string[];
  write?: { path: string; content: string; mode: number; overwrite: boolean };
  /** A step that may fail without stopping the rest (e.g. a user that already exists). */
  optional?: boolean;
}

export interface InstallOptions {
  executable: string;
  interface?: string;
  port: number;
  token: string;
}

export function envFileContent(o: InstallOptions): string {
  return [
    "# NetInsight settings (see `netinsight serve --help`). Restart after a change:",
    "#   sudo systemctl restart netinsight",
    o.interface ? `NETWORK_INTERFACE=${o.interface}` : "# NETWORK_INTERFACE=eth0   (default: the interface of the default route)",
    "HOST=0.0.0.0",
    `PORT=${o.port}`,
    `DATABASE_PATH=${PATHS.dataDir}/netinsight.db`,
    `API_TOKEN=${o.token}`,
    "RETENTION_DAYS=30",
    "# HTTPS with a self-signed certificate made on first start (fingerprint: journalctl -u netinsight | grep fingerprint);",
    "# TLS_CERT=/etc/netinsight/cert.pem and TLS_KEY=/etc/netinsight/key.pem for your own; HTTPS=off for plain HTTP",
    "HTTPS=auto",
    "# A consistent copy of the database every BACKUP_HOURS; restore with: netinsight restore FILE (service stopped)",
    `BACKUP_DIR=${PATHS.dataDir}/backups`,
    "BACKUP_KEEP=7",
    "BACKUP_HOURS=24",
    "",
  ].join("\n");
}

export function installPlan(o: InstallOptions): Step[] {
  return [
    { describe: `copy ${o.executable} to ${PATHS.binary}`, command: ["install", "-m", "0755", o.executable, PATHS.binary] },
    {
      describe: `create the system user ${PATHS.user}`,
      command: ["useradd", "--system", "--home-dir", PATHS.dataDir, "--shell", "/usr/sbin/nologin", PATHS.user],
      optional: true,
    },
    { describe: `create ${PATHS.dataDir} (owned by ${PATHS.user}, mode 0750)`, command: ["install", "-d", "-m", "0750", "-o", PATHS.user, "-g", PATHS.user, PATHS.dataDir] },
    { describe: `create ${PATHS.configDir}`, command: ["install", "-d", "-m", "0755", PATHS.configDir] },
    { describe: `write ${PATHS.envFile} (interface, port, token; kept if it exists)`, write: { path: PATHS.envFile, content: envFileContent(o), mode: 0o640, overwrite: false } },
    { describe: `let ${PATHS.user} read ${PATHS.envFile}`, command: ["chgrp", PATHS.user, PATHS.envFile] },
    { describe: `write ${PATHS.unit}`, write: { path: PATHS.unit, content: UNIT_TEXT, mode: 0o644, overwrite: true } },
    { describe: "reload systemd", command: ["systemctl", "daemon-reload"] },
    { describe: "enable and start netinsight.service", command: ["systemctl", "enable", "--now", "netinsight.service"] },
  ];
}

export function uninstallPlan(purge: boolean): Step[] {
  const steps: Step[] = [
    { describe: "stop and disable netinsight.service", command: ["systemctl", "disable", "--now", "netinsight.service"], optional: true },
    { describe: `remove ${PATHS.unit}`, command: ["rm", "-f", PATHS.unit] },
    { describe: "reload systemd", command: ["systemctl", "daemon-reload"], optional: true },
    { describe: `remove ${PATHS.binary}`, command: ["rm", "-f", PATHS.binary] },
  ];
  if (purge) {
    steps.push(
      { describe: `delete the data in ${PATHS.dataDir}`, command: ["rm", "-rf", PATHS.dataDir] },
      { describe: `delete ${PATHS.configDir}`, command: ["rm", "-rf", PATHS.configDir] },
      { describe: `remove the user ${PATHS.user}`, command: ["userdel", PATHS.user], optional: true },
    );
  }
  return steps;
}
