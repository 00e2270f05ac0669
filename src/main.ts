#!/usr/bin/env bun
/**
 * NetInsight's command line: `analyze` a capture file, `serve` the API and live view,
 * `install` / `uninstall` the systemd service. Each command lives in src/cli/<name>.ts.
 */
import { VERSION, versionText } from "./version.ts";

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: "capture and serve the API, WebSocket feed and live view (default)", load: () => import("./cli/serve.ts") },
  analyze: { summary: "analyze a pcap/pcapng file and print flows (--json for a report)", load: () => import("./cli/analyze.ts") },
  install: { summary: "install as a systemd service (root)", load: () => import("./cli/install.ts") },
  uninstall: { summary: "remove the systemd service (keeps data unless --purge)", load: () => import("./cli/uninstall.ts") },
  restore: { summary: "replace the database with a backup (BACKUP_DIR), checked first", load: () => import("./cli/restore.ts") },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    `NetInsight ${VERSION}: home network traffic analyzer`,
    "",
    "Usage: netinsight [command] [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `netinsight <command> --help` for a command's options.",
    "  -h, --help     show this help",
    "  -v, --version  show the version and the data it carries",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "-h" || first === "--help" || first === "help") {
    console.log(usage());
    return 0;
  }
  if (first === "-v" || first === "--version" || first === "version") {
    console.log(await versionText());
    return 0;
  }
  // No command, or options only: serve.
  const name = first === undefined || first.startsWith("-") ? "serve" : first;
  const args = name === first ? rest : argv;
  const command = COMMANDS[name];
  if (!command) {
    console.error(`netinsight: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(args);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
