/**
 * `netinsight serve`: capture (live, or `--read FILE`), keep history, serve the API, WebSocket feed
 * and live view until SIGINT/SIGTERM, then stop capture, flush and close the database (exit 0).
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type ConfigInput } from "../config.ts";
import { CaptureStartError } from "../service/context.ts";
import { createLogger } from "../service/logger.ts";
import { databaseFiles, dropPrivileges, PrivilegeError, resolveRunAsUser, type RunAsUser } from "../service/privileges.ts";
import { runService, ServeError, type RunningService } from "../server/run.ts";
import { StorageError } from "../storage/db.ts";
import { cliError } from "./errors.ts";
import { CollectorError } from "../export/collectors.ts";
import { exportSettings } from "../export/setup.ts";
import { ringDirProblem, ringFiles } from "../pcap-ring/settings.ts";

const HELP = `Usage: netinsight serve [options]

Captures traffic and serves the REST API (/docs), the WebSocket feed (/ws) and the live view.
Settings come from flags, then the environment, then .env (working directory, then beside the database).

Options:
  -i, --interface NAME     interface to capture on (NETWORK_INTERFACE; default: the default route's)
      --filter BPF         capture filter, tcpdump syntax (CAPTURE_FILTER)
      --read FILE          feed a pcap/pcapng file instead of capturing live (no privileges needed)
      --speed X            with --read: X times real time, 0 as fast as possible (default 1)
      --loop               with --read: replay the file again and again, its time moving on (a demo)
      --no-capture         serve history only, start no capture
      --host ADDR          listen address (HOST, default 0.0.0.0)
  -p, --port N             listen port (PORT, default 8000)
  -d, --database FILE      SQLite database (DATABASE_PATH; default ./netinsight.db, or
                           /var/lib/netinsight/netinsight.db when that directory is writable)
      --allowed-origins L  comma list of browser origins allowed to call the API, or * (ALLOWED_ORIGINS)
      --retention-days N   keep history this many days (RETENTION_DAYS, default 30)
      --max-db-mb N        prune the oldest flows beyond this database size (MAX_DB_MB, default 1024)
      --flush-seconds N    write to the database every N seconds (FLUSH_SECONDS, default 5)
      --max-flows N        flow table size (MAX_FLOWS, default 200000)
      --capture-buffer-mb N
                           kernel ring of live capture in MB, as tcpdump's -B (CAPTURE_BUFFER_MB,
                           default 16; raise it if /api/capture/status shows drops)
      --max-memory-mb N    collect garbage early to stay under this (MAX_MEMORY_MB, default 1024)
      --blocklist FILE     IP/CIDR or domain blocklist for threat detection (repeatable)
      --ipfix C            export flows as IPFIX to collector C: HOST:PORT (UDP), udp://HOST:PORT or
                           tcp://HOST:PORT (repeatable; IPFIX_COLLECTORS)
      --netflow9 C         the same as NetFlow v9 (repeatable; NETFLOW9_COLLECTORS)
      --ipfix-biflow       IPFIX as RFC 5103 biflows, not one record per direction (IPFIX_BIFLOW)
      --pcap-ring-mb N     keep the most recent N MB of packets on disk for the pcap downloads of
                           threats, flows and devices (PCAP_RING_MB, default 0: off, nothing written)
      --pcap-ring-dir DIR  where the ring's files go (PCAP_RING_DIR, default pcap-ring beside the database)
      --alert-webhook URL  send notifications to this webhook (repeatable; ALERT_WEBHOOKS); a format per
                           URL: ntfy+https://ntfy.sh/topic, or ?format=ntfy|gotify|discord|slack|json
      --mqtt-url URL       MQTT broker for alerts, device state and Home Assistant (MQTT_URL),
                           mqtt://[user:password@]host[:1883] or mqtts://...
      --syslog-url URL     RFC 5424 syslog receiver, udp://host:514 or tcp://host:601 (SYSLOG_URL)
      --alert-file FILE    append notifications to FILE as JSON lines (ALERT_FILE)
      --https MODE         auto (HTTPS on every address but loopback), on, or off for plain HTTP (HTTPS)
      --tls-cert FILE      PEM certificate (chain) for HTTPS (TLS_CERT; with --tls-key; default: a
      --tls-key FILE       self-signed one made on first start, <database>.tls.crt/.tls.key) (TLS_KEY)
      --backup-dir DIR     back the database up into DIR on a schedule (BACKUP_DIR; default: no backups)
      --backup-hours N     hours between backups (BACKUP_HOURS, default 24)
      --backup-keep N      backups kept, the oldest are deleted (BACKUP_KEEP, default 7)
      --log-level LEVEL    debug, info, warn or error (LOG_LEVEL, default info)
      --single-thread      run capture and analysis in the API's thread (default: a worker thread)
      --user NAME          started as root: switch to this user once capture and database are open
                           (RUN_AS_USER; default: netinsight if that user exists; root: stay root)
  -h, --help               show this help

The API token is API_TOKEN, or one generated on first start and stored beside the database
(<database>.token, mode 0600).`;

const OPTIONS = {
  interface: { type: "string", short: "i" },
  filter: { type: "string" },
  read: { type: "string" },
  speed: { type: "string" },
  loop: { type: "boolean", default: false },
  "no-capture": { type: "boolean", default: false },
  host: { type: "string" },
  port: { type: "string", short: "p" },
  database: { type: "string", short: "d" },
  "allowed-origins": { type: "string" },
  "retention-days": { type: "string" },
  "max-db-mb": { type: "string" },
  "flush-seconds": { type: "string" },
  "max-flows": { type: "string" },
  "capture-buffer-mb": { type: "string" },
  "max-memory-mb": { type: "string" },
  blocklist: { type: "string", multiple: true },
  ipfix: { type: "string", multiple: true },
  netflow9: { type: "string", multiple: true },
  "ipfix-biflow": { type: "boolean" },
  "pcap-ring-mb": { type: "string" },
  "pcap-ring-dir": { type: "string" },
  "log-level": { type: "string" },
  "alert-webhook": { type: "string", multiple: true },
  "mqtt-url": { type: "string" },
  "syslog-url": { type: "string" },
  "alert-file": { type: "string" },
  https: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "backup-dir": { type: "string" },
  "backup-hours": { type: "string" },
  "backup-keep": { type: "string" },
  "single-thread": { type: "boolean", default: false },
  user: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    return cliError(`serve: ${(e as Error).message}\n\nRun \`netinsight serve --help\` for the options.`, 2);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) return cliError("serve: --speed must be a number, 0 (as fast as possible) or more", 2);
  if (values.speed !== undefined && !values.read) return cliError("serve: --speed needs --read FILE", 2);
  if (values.loop && !values.read) return cliError("serve: --loop needs --read FILE", 2);
  if (values.loop && speed === 0) return cliError("serve: --loop needs a --speed above 0 (an endless file as fast as possible would only fill the disk)", 2);
  if (values.read && !isFile(values.read)) return cliError(`serve: cannot read ${values.read}: no such file`, 1);

  const flags: ConfigInput = {
    NETWORK_INTERFACE: values.interface, CAPTURE_FILTER: values.filter, HOST: values.host, PORT: values.port,
    DATABASE_PATH: values.database, ALLOWED_ORIGINS: values["allowed-origins"], RETENTION_DAYS: values["retention-days"],
    MAX_DB_MB: values["max-db-mb"], FLUSH_SECONDS: values["flush-seconds"], MAX_FLOWS: values["max-flows"], MAX_MEMORY_MB: values["max-memory-mb"], CAPTURE_BUFFER_MB: values["capture-buffer-mb"],
    LOG_LEVEL: values["log-level"], RUN_AS_USER: values.user,
    IPFIX_COLLECTORS: values.ipfix?.join(","), NETFLOW9_COLLECTORS: values.netflow9?.join(","),
    IPFIX_BIFLOW: values["ipfix-biflow"] ? "true" : undefined,
    PCAP_RING_MB: values["pcap-ring-mb"], PCAP_RING_DIR: values["pcap-ring-dir"],
    ALERT_WEBHOOKS: values["alert-webhook"]?.join(","), MQTT_URL: values["mqtt-url"], SYSLOG_URL: values["syslog-url"],
    ALERT_FILE: values["alert-file"],
    HTTPS: values.https, TLS_CERT: values["tls-cert"], TLS_KEY: values["tls-key"],
    BACKUP_DIR: values["backup-dir"], BACKUP_HOURS: values["backup-hours"], BACKUP_KEEP: values["backup-keep"],
  };
  let config;
  try {
    config = loadConfig({ flags });
  } catch (e) {
    if (e instanceof ConfigError) return cliError(`serve: ${e.message}`, 2);
    throw e;
  }
  const log = createLogger(config.LOG_LEVEL);
  const ringProblem = ringDirProblem(config);
  if (ringProblem) return cliError(`serve: ${ringProblem}`, 2);
  let exportTo;
  try {
    exportTo = await exportSettings(config);
  } catch (e) {
    if (e instanceof CollectorError) return cliError(`serve: ${e.message}`, 2);
    throw e;
  }
  let runAs: RunAsUser | null = null;
  try {
    runAs = process.getuid?.() === 0 ? resolveRunAsUser(config.RUN_AS_USER) : null;
  } catch (e) {
    if (e instanceof PrivilegeError) return cliError(`serve: ${e.message}`, 2);
    throw e;
  }
  const dbDir = path.dirname(config.DATABASE_PATH);
  const dbDirExisted = existsSync(dbDir);
  // Made now (as root, when started so) and handed over with the database below.
  let backupDirMade = false;
  if (config.BACKUP_DIR && !existsSync(config.BACKUP_DIR)) {
    try {
      mkdirSync(config.BACKUP_DIR, { recursive: true });
      backupDirMade = true;
    } catch (e) {
      return cliError(`serve: BACKUP_DIR: cannot create ${config.BACKUP_DIR}: ${(e as Error).message}`, 1);
    }
  }

  // Listened for before anything starts: a SIGTERM while the server or capture is still starting
  // (systemctl stop, a test that saw /api/health answer) must also flush and exit 0, not kill.
  const stopSignal = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  let running: RunningService;
  try {
    running = await runService(config, { log, blocklists: values.blocklist, inProcess: values["single-thread"], export: exportTo ?? undefined });
  } catch (e) {
    if (e instanceof ServeError || e instanceof StorageError) return cliError(`serve: ${e.message}`, 1);
    throw e;
  }
  const { token, url } = running;
  log.info(`NetInsight ${running.version} serving on ${url} (API docs: ${url}/docs, live view: ${url}/)`);
  log.info(`database: ${config.DATABASE_PATH}`);
  if (token.source === "generated") {
    // Whatever the log level: this is the only time the token is shown.
    console.error(`API token (generated now, shown once): ${token.token}`);
    console.error(`  it is stored in ${token.file} (mode 0600); read it again with: cat ${token.file}`);
  } else if (token.source === "file") {
    log.info(`API token: read it with: cat ${token.file}`);
  }
  if (running.tls) {
    // Whatever the log level: what a browser or `curl --cacert` shows must match this.
    const t = running.tls;
    const what = t.source === "files" ? `certificate ${t.certFile}` : `self-signed certificate ${t.certFile}${t.source === "generated" ? " (made now)" : ""}`;
    console.error(`HTTPS: ${what}, SHA-256 fingerprint ${t.fingerprint}`);
  }

  try {
    if (values.read) {
      await running.feedFile(values.read, speed, config.CAPTURE_FILTER, values.loop);
      log.info(`capture: reading ${values.read} at ${speed === 0 ? "full speed" : `${speed}x real time`}${values.loop ? ", in a loop" : ""}`);
    } else if (!values["no-capture"]) {
      const s = await running.startLive({});
      log.info(`capture: live on ${s.interface}${s.filter ? ` (filter: ${s.filter})` : ""}`);
    }
  } catch (e) {
    // The API keeps serving history; status and health show the reason.
    const msg = e instanceof CaptureStartError ? e.message : (e as Error).message;
    log.warn(`capture not started: ${msg}`);
    log.warn("the API keeps serving stored history; start capture later with POST /api/capture/start");
  }
  if (runAs) {
    // The capture handle and database stay open across the switch; nothing needs root from here on.
    try {
      // The self-signed certificate beside the database goes with it (a later start as that user reads it).
      const tlsFiles = running.tls && running.tls.source !== "files" ? [running.tls.certFile, running.tls.keyFile] : [];
      dropPrivileges(runAs, [...databaseFiles(config.DATABASE_PATH), ...ringFiles(config), ...tlsFiles], [...(dbDirExisted ? [] : [dbDir]), ...(backupDirMade ? [path.resolve(config.BACKUP_DIR!)] : [])]);
      log.info(`running as ${runAs.name} (uid ${runAs.uid}) from now on; restarting capture needs CAP_NET_RAW and CAP_NET_ADMIN`);
    } catch (e) {
      log.error(`serve: ${(e as Error).message}; stopping rather than running as root`);
      await running.stop();
      return 1;
    }
  }

  const signal = await stopSignal;
  log.info(`${signal}: stopping capture, writing history and closing the database`);
  await running.stop();
  log.info("stopped");
  return 0;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
