/** Where the packet ring lives, and the start-up check that it can. */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.ts";
import { checkRingDir } from "./recorder.ts";

/** PCAP_RING_DIR, or `pcap-ring` beside the database. */
export function ringDir(c: Pick<Config, "PCAP_RING_DIR" | "DATABASE_PATH">): string {
  return path.resolve(c.PCAP_RING_DIR ?? path.join(path.dirname(c.DATABASE_PATH), "pcap-ring"));
}

/** An error message naming the setting when the ring is on and its directory cannot be written; null when fine. */
export function ringDirProblem(c: Pick<Config, "PCAP_RING_DIR" | "DATABASE_PATH" | "PCAP_RING_MB">): string | null {
  if (c.PCAP_RING_MB <= 0) return null;
  const dir = ringDir(c);
  try {
    checkRingDir(dir);
    return null;
  } catch (err) {
    const why = (err as { code?: string }).code ?? (err as Error).message;
    return `PCAP_RING_DIR: cannot write the packet ring directory ${dir} (${why}); set PCAP_RING_DIR to a writable directory or PCAP_RING_MB=0`;
  }
}

/** The ring's directory, kept directory and files: handed to the service user when root drops privileges. */
export function ringFiles(c: Pick<Config, "PCAP_RING_DIR" | "DATABASE_PATH" | "PCAP_RING_MB">): string[] {
  if (c.PCAP_RING_MB <= 0) return [];
  const dir = ringDir(c);
  const out: string[] = [];
  const walk = (d: string) => {
    out.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  try {
    walk(dir);
  } catch {
    // not there (yet): nothing to hand over
  }
  return out;
}
