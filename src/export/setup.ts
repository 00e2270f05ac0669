/** From validated settings (config.ts) to a running exporter: hosts resolved, sockets open. */
import type { ExportConfig } from "../config.ts";
import type { Engine } from "../engine/engine.ts";
import { resolveCollectors } from "./collectors.ts";
import { FlowExporter, type ExportSettings } from "./exporter.ts";

/** Resolved export settings, or null when no collector is configured. Throws CollectorError naming the setting. */
export async function exportSettings(c: ExportConfig, extra: Partial<ExportSettings> = {}): Promise<ExportSettings | null> {
  const specs = [...c.IPFIX_COLLECTORS, ...c.NETFLOW9_COLLECTORS];
  if (specs.length === 0) return null;
  return {
    collectors: await resolveCollectors(specs),
    activeTimeout: c.EXPORT_ACTIVE_TIMEOUT,
    idleTimeout: c.EXPORT_IDLE_TIMEOUT,
    templateRefreshSeconds: c.EXPORT_TEMPLATE_SECONDS,
    biflow: c.IPFIX_BIFLOW,
    observationDomain: c.EXPORT_DOMAIN_ID,
    ...extra,
  };
}

/** Starts exporting the engine's flows; the caller flushes it every second and closes it at the end. */
export async function attachExporter(engine: Engine, settings: ExportSettings): Promise<FlowExporter> {
  const exporter = await FlowExporter.create(settings, engine);
  engine.addAnalyzer(exporter);
  return exporter;
}
