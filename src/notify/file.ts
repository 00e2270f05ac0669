/** JSON lines: each notification appended to ALERT_FILE as one line of the webhook body (for SIEM file readers). */
import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { alertBody } from "./alert.ts";
import type { Channel } from "./notifier.ts";

export function fileChannel(file: string): Channel {
  let dirReady = false;
  return {
    name: `file:${path.basename(file)}`,
    async deliver(alert) {
      if (!dirReady) {
        await mkdir(path.dirname(file), { recursive: true });
        dirReady = true;
      }
      await appendFile(file, `${JSON.stringify(alertBody(alert))}\n`, { mode: 0o640 });
    },
  };
}
