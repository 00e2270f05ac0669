/** The threats table: one row per threat record (repeats update the row). */
import type { Database, Statement } from "bun:sqlite";
import type { Severity, Threat, ThreatType } from "../threats/model.ts";

export interface ThreatQuery {
  activeOnly?: boolean;
  severity?: Severity;
  limit?: number;
}

interface ThreatRow {
  // Written from a ThreatType; a row from an older version may hold a spelling since renamed.
  id: string; type: ThreatType; severity: Severity; title: string; description: string; source_ip: string | null;
  source_mac: string | null; target_ip: string | null; target_port: number | null; device_id: string | null;
  first_seen: number; last_seen: number; count: number; evidence: string; status: "active" | "dismissed";
}

function toThreat(r: ThreatRow): Threat {
  return {
    id: r.id, type: r.type, severity: r.severity, title: r.title, description: r.description,
    sourceIp: r.source_ip, sourceMac: r.source_mac, targetIp: r.target_ip, targetPort: r.target_port,
    deviceId: r.device_id, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count,
    evidence: JSON.parse(r.evidence), status: r.status,
  };
}

export class StoredThreats {
  readonly #db: Database;
  readonly #upsert: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#upsert = db.query(`INSERT OR REPLACE INTO threats (id, type, severity, title, description, source_ip,
      source_mac, target_ip, target_port, device_id, first_seen, last_seen, count, evidence, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  upsert(t: Threat): void {
    this.#upsert.run(
      t.id, t.type, t.severity, t.title, t.description, t.sourceIp, t.sourceMac, t.targetIp, t.targetPort,
      t.deviceId, t.firstSeen, t.lastSeen, t.count, JSON.stringify(t.evidence), t.status,
    );
  }

  upsertMany(threats: Iterable<Threat>): void {
    this.#db.transaction(() => {
      for (const t of threats) this.upsert(t);
    })();
  }

  /** Most recent first. */
  list(q: ThreatQuery = {}): Threat[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.activeOnly) where.push("status = 'active'");
    if (q.severity) (where.push("severity = ?"), args.push(q.severity));
    args.push(q.limit ?? -1);
    const sql = `SELECT * FROM threats${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC LIMIT ?`;
    return (this.#db.query(sql).all(...args) as ThreatRow[]).map(toThreat);
  }

  get(id: string): Threat | undefined {
    const row = this.#db.query("SELECT * FROM threats WHERE id = ?").get(id) as ThreatRow | null;
    return row ? toThreat(row) : undefined;
  }

  setStatus(id: string, status: Threat["status"]): boolean {
    return this.#db.query("UPDATE threats SET status = ? WHERE id = ?").run(status, id).changes > 0;
  }
}
