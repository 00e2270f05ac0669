/**
 * The database schema as an ordered list of migrations; `PRAGMA user_version` records the last one
 * applied. Add a new entry at the end; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE flows (
        id INTEGER PRIMARY KEY,
        protocol TEXT NOT NULL,
        ip_protocol INTEGER NOT NULL,
        ip_version INTEGER NOT NULL,
        src_ip TEXT NOT NULL,
        src_port INTEGER NOT NULL,
        dst_ip TEXT NOT NULL,
        dst_port INTEGER NOT NULL,
        src_mac TEXT,
        dst_mac TEXT,
        vlan INTEGER NOT NULL,
        packets_sent INTEGER NOT NULL,
        bytes_sent INTEGER NOT NULL,
        packets_received INTEGER NOT NULL,
        bytes_received INTEGER NOT NULL,
        start_time REAL NOT NULL,
        last_seen REAL NOT NULL,
        status TEXT NOT NULL,
        tcp_state TEXT,
        tcp_flags TEXT NOT NULL,
        service TEXT,
        service_by TEXT,
        hostname TEXT,
        application TEXT,
        category TEXT,
        src_device_id TEXT,
        dst_device_id TEXT
      ) STRICT;
      -- Exactly the lookups /api/flows makes: newest first, by address, by device.
      CREATE INDEX flows_last_seen ON flows (last_seen);
      CREATE INDEX flows_src_ip ON flows (src_ip);
      CREATE INDEX flows_dst_ip ON flows (dst_ip);
      CREATE INDEX flows_src_device ON flows (src_device_id) WHERE src_device_id IS NOT NULL;
      CREATE INDEX flows_dst_device ON flows (dst_device_id) WHERE dst_device_id IS NOT NULL;

      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        mac TEXT NOT NULL,
        macs TEXT NOT NULL,
        ips TEXT NOT NULL,
        vendor TEXT NOT NULL,
        hostname TEXT,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        os TEXT NOT NULL,
        is_randomized_mac INTEGER NOT NULL,
        is_gateway INTEGER NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        packets_sent INTEGER NOT NULL,
        bytes_sent INTEGER NOT NULL,
        packets_received INTEGER NOT NULL,
        bytes_received INTEGER NOT NULL,
        flow_count INTEGER NOT NULL,
        evidence TEXT NOT NULL
      ) STRICT;

      CREATE TABLE threats (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        source_ip TEXT,
        source_mac TEXT,
        target_ip TEXT,
        target_port INTEGER,
        device_id TEXT,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        count INTEGER NOT NULL,
        evidence TEXT NOT NULL,
        status TEXT NOT NULL
      ) STRICT;
      CREATE INDEX threats_last_seen ON threats (last_seen);

      CREATE TABLE capture_sessions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        filter TEXT,
        started_at REAL NOT NULL,
        stopped_at REAL,
        packets INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        error TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "address and device indexes end in last_seen",
    // One side of "src or dst" then reads newest first and stops after a page, instead of sorting
    // every flow of a busy host (100+ ms with 1 M flows stored; ~1 ms after).
    sql: `
      DROP INDEX flows_src_ip;
      DROP INDEX flows_dst_ip;
      DROP INDEX flows_src_device;
      DROP INDEX flows_dst_device;
      CREATE INDEX flows_src_ip ON flows (src_ip, last_seen);
      CREATE INDEX flows_dst_ip ON flows (dst_ip, last_seen);
      CREATE INDEX flows_src_device ON flows (src_device_id, last_seen) WHERE src_device_id IS NOT NULL;
      CREATE INDEX flows_dst_device ON flows (dst_device_id, last_seen) WHERE dst_device_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: "device edits and threat dismissals",
    // A user's name for a device lives apart from the tracker's row, which fingerprinting rewrites.
    // Dismissals are a history: who dismissed which threat when, never rewritten by the detectors.
    sql: `
      CREATE TABLE device_edits (
        device_id TEXT PRIMARY KEY,
        name TEXT,
        type TEXT,
        notes TEXT,
        known INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
      ) STRICT;
      CREATE TABLE threat_dismissals (
        id INTEGER PRIMARY KEY,
        threat_id TEXT NOT NULL,
        dismissed_at REAL NOT NULL,
        dismissed_by TEXT NOT NULL
      ) STRICT;
      CREATE INDEX threat_dismissals_threat ON threat_dismissals (threat_id, dismissed_at);
    `,
  },
  {
    version: 4,
    name: "traffic rollups",
    // The analytics rollups used to have their own migration runner (an analytics_schema table,
    // checked on every query). Their table joins this sequence; IF NOT EXISTS keeps a database that
    // already has it as it is, rows and all. One table for all resolutions: a window query reads
    // minutes, hours and days alike, and a roll-up moves rows between resolutions (sums, then
    // deletes) so nothing is counted twice. `out` is initiator -> responder, or for a device: what
    // the device sent. No second index: windows read by (dim, bucket); the hourly roll-up scans
    // once, and an index would cost 60% more bytes per row.
    sql: `
      CREATE TABLE IF NOT EXISTS traffic_rollups (
        dim TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        key TEXT NOT NULL,
        label TEXT,
        bytes_out INTEGER NOT NULL,
        bytes_in INTEGER NOT NULL,
        packets_out INTEGER NOT NULL,
        packets_in INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        PRIMARY KEY (dim, bucket, resolution, key)
      ) STRICT, WITHOUT ROWID;
      DROP TABLE IF EXISTS analytics_schema;
    `,
  },
  {
    version: 5,
    name: "notification outbox",
    // One row per notification and channel until it is delivered (src/notify/outbox.ts). Times: epoch ms.
    sql: `
      CREATE TABLE notification_outbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        alert TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        next_attempt_at REAL NOT NULL,
        delivered_at REAL,
        last_error TEXT,
        suppressed INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX notification_outbox_pending ON notification_outbox (channel, id) WHERE status = 'pending';
      CREATE INDEX notification_outbox_key ON notification_outbox (channel, key, id);
    `,
  },
  {
    version: 6,
    name: "ordered flow indexes hold ended flows only",
    // A running flow's row is rewritten at every sync with a new last_seen, and each rewrite moved its
    // entry in all five indexes (most of the writer thread's time). The ordered indexes now hold closed
    // rows only: a sync touches none of them, and a flow enters each once, at its end. Rows not yet
    // closed (live flows, a crash's orphans) are found through flows_open, whose key never changes.
    // Queries say status = 'closed' literally (a bound parameter cannot select a partial index) and
    // read open rows as a second part (storage/flows.ts, device-traffic.ts).
    sql: `
      DROP INDEX flows_last_seen;
      DROP INDEX flows_src_ip;
      DROP INDEX flows_dst_ip;
      DROP INDEX flows_src_device;
      DROP INDEX flows_dst_device;
      CREATE INDEX flows_last_seen ON flows (last_seen) WHERE status = 'closed';
      CREATE INDEX flows_src_ip ON flows (src_ip, last_seen) WHERE status = 'closed';
      CREATE INDEX flows_dst_ip ON flows (dst_ip, last_seen) WHERE status = 'closed';
      CREATE INDEX flows_src_device ON flows (src_device_id, last_seen) WHERE status = 'closed' AND src_device_id IS NOT NULL;
      CREATE INDEX flows_dst_device ON flows (dst_device_id, last_seen) WHERE status = 'closed' AND dst_device_id IS NOT NULL;
      CREATE INDEX flows_open ON flows (id) WHERE status <> 'closed';
    `,
  },
];

/** A migration by name, for tests that want one table without the rest of the schema. */
export function migrationNamed(name: string): Migration {
  const m = MIGRATIONS.find((x) => x.name === name);
  if (!m) throw new Error(`no migration named ${name}`);
  return m;
}
