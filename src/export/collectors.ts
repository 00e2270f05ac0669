/**
 * Collector settings: `HOST:PORT`, `udp://HOST:PORT`, `tcp://HOST:PORT` (IPv6 as `[::1]:4739`),
 * checked when the settings are read and resolved to an address once at start-up, so a typo is
 * a clear error naming the setting, never a silent black hole.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export type ExportFormat = "ipfix" | "netflow9";

export interface CollectorSpec {
  format: ExportFormat;
  transport: "udp" | "tcp";
  host: string;
  port: number;
  /** As the user wrote it (for messages and health). */
  text: string;
}

export interface Collector extends CollectorSpec {
  /** The resolved address datagrams and connections go to. */
  address: string;
}

/** The setting each format is configured by (flag in brackets), for error messages. */
export const COLLECTOR_SETTING: Record<ExportFormat, string> = {
  ipfix: "IPFIX_COLLECTORS (--ipfix)",
  netflow9: "NETFLOW9_COLLECTORS (--netflow9)",
};

export class CollectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CollectorError";
  }
}

/** Parses one collector; returns an error message (without the setting's name) when it is not one. */
export function parseCollector(text: string, format: ExportFormat): CollectorSpec | string {
  const m = /^(?:(udp|tcp):\/\/)?(?:\[([^\]]+)\]|([^:/\s]+)):(\d+)$/i.exec(text.trim());
  if (!m) return `"${text}" is not a collector: use HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT (IPv6: [ADDR]:PORT)`;
  const port = Number(m[4]);
  if (!(port >= 1 && port <= 65535)) return `"${text}": port ${m[4]} is out of range (1-65535)`;
  const host = m[2] ?? m[3];
  if (m[2] !== undefined && isIP(host) !== 6) return `"${text}": ${host} in brackets is not an IPv6 address`;
  return { format, transport: (m[1]?.toLowerCase() ?? "udp") as "udp" | "tcp", host, port, text: text.trim() };
}

/** A comma-separated list (the environment form; repeated flags are joined with commas). */
export function parseCollectorList(list: string, format: ExportFormat): { collectors: CollectorSpec[]; errors: string[] } {
  const collectors: CollectorSpec[] = [];
  const errors: string[] = [];
  for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
    const c = parseCollector(item, format);
    if (typeof c === "string") errors.push(c);
    else collectors.push(c);
  }
  return { collectors, errors };
}

/** Resolves every collector's host; throws CollectorError naming the setting for one that does not resolve. */
export async function resolveCollectors(specs: CollectorSpec[]): Promise<Collector[]> {
  return Promise.all(specs.map(async (c) => {
    if (isIP(c.host)) return { ...c, address: c.host };
    try {
      const { address } = await lookup(c.host);
      return { ...c, address };
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new CollectorError(`${COLLECTOR_SETTING[c.format]}: cannot resolve the collector host "${c.host}" in "${c.text}" (${code})`);
    }
  }));
}
