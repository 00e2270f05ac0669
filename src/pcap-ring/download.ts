/** Which packets a download holds, and its file name: a threat's kept packets, a flow's, a device's last minutes. */
import type { Device } from "../devices/model.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { PcapDownload, PcapQuery } from "../service/context.ts";
import type { Threat } from "../threats/model.ts";
import type { PacketRecorder } from "./recorder.ts";

export interface Lookups {
  threat(id: string): Threat | undefined;
  flow(id: string): FlowRecord | undefined;
  device(id: string): Device | undefined;
  /** The service clock (a capture file's own time while one is read). */
  now(): number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 80);

export function pcapDownload(r: PacketRecorder, q: PcapQuery, find: Lookups): PcapDownload {
  switch (q.kind) {
    case "threat": {
      const t = find.threat(q.id);
      if (!t) return { status: "unknown" };
      const bytes = r.threatPcap(t);
      return bytes ? { status: "ok", bytes, filename: `netinsight-threat-${safe(t.id)}.pcapng` } : { status: "empty" };
    }
    case "flow": {
      const f = find.flow(q.id);
      if (!f) return { status: "unknown" };
      const bytes = r.flowPcap(f);
      return bytes ? { status: "ok", bytes, filename: `netinsight-flow-${safe(f.id)}.pcapng` } : { status: "empty" };
    }
    case "device": {
      const d = find.device(q.id);
      if (!d) return { status: "unknown" };
      const bytes = r.devicePcap(d.id, d.name.value ?? d.hostname, q.minutes, find.now());
      return bytes ? { status: "ok", bytes, filename: `netinsight-device-${safe(d.id)}-${q.minutes}min.pcapng` } : { status: "empty" };
    }
  }
}
