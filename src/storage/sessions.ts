/** Capture sessions (one row per start..stop of a live capture or a file feed) and the meta table. */
import type { Database } from "bun:sqlite";

export interface CaptureSession {
  id: number;
  kind: "live" | "file";
  source: string;
  filter: string | null;
  startedAt: number;
  stoppedAt: number | null;
  packets: number;
  bytes: number;
  dropped: number;
  error: string | null;
}

export class CaptureSessions {
  constructor(private readonly db: Database) {}

  begin(kind: CaptureSession["kind"], source: string, filter: string | null, startedAt: number): number {
    const r = this.db.query("INSERT INTO capture_sessions (kind, source, filter, started_at) VALUES (?, ?, ?, ?)")
      .run(kind, source, filter, startedAt);
    return Number(r.lastInsertRowid);
  }

  end(id: number, s: { stoppedAt: number; packets: number; bytes: number; dropped: number; error?: string | null }): void {
    this.db.query("UPDATE capture_sessions SET stopped_at = ?, packets = ?, bytes = ?, dropped = ?, error = ? WHERE id = ?")
      .run(s.stoppedAt, s.packets, s.bytes, s.dropped, s.error ?? null, id);
  }

  list(limit = 100): CaptureSession[] {
    return this.db.query(`SELECT id, kind, source, filter, started_at AS startedAt, stopped_at AS stoppedAt, packets,
      bytes, dropped, error FROM capture_sessions ORDER BY id DESC LIMIT ?`).all(limit) as CaptureSession[];
  }
}

export class Meta {
  constructor(private readonly db: Database) {}

  get(key: string): string | undefined {
    return (this.db.query("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | null)?.value;
  }

  set(key: string, value: string): void {
    this.db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }
}
