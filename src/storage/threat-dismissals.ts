/** The threat_dismissals table: every dismissal with its time and who did it (history, never rewritten). */
import type { Database, Statement } from "bun:sqlite";
import type { ThreatDismissal } from "../threats/dismissal.ts";

interface Row { threat_id: string; dismissed_at: number; dismissed_by: string }
const toDismissal = (r: Row): ThreatDismissal => ({ threatId: r.threat_id, at: r.dismissed_at, by: r.dismissed_by });

export class StoredDismissals {
  readonly #db: Database;
  readonly #add: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#add = db.query("INSERT INTO threat_dismissals (threat_id, dismissed_at, dismissed_by) VALUES (?, ?, ?)");
  }

  add(d: ThreatDismissal): void {
    this.#add.run(d.threatId, d.at, d.by);
  }

  /** The latest dismissal of each threat. */
  latest(): ThreatDismissal[] {
    return (this.#db.query(`SELECT threat_id, max(dismissed_at) AS dismissed_at, dismissed_by FROM threat_dismissals GROUP BY threat_id`)
      .all() as Row[]).map(toDismissal);
  }

  of(threatId: string): ThreatDismissal[] {
    return (this.#db.query("SELECT * FROM threat_dismissals WHERE threat_id = ? ORDER BY dismissed_at").all(threatId) as Row[]).map(toDismissal);
  }
}
