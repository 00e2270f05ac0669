/**
 * Syslog (RFC 5424) over UDP, or TCP with octet-counting framing (RFC 6587), for SIEMs such as
 * Wazuh or Graylog. Facility local0; the structured data carries kind, key, severity and link.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { hostname } from "node:os";
import { connect, type Socket } from "node:net";
import type { Alert } from "./alert.ts";
import type { Channel } from "./notifier.ts";
import type { SyslogTarget } from "./targets.ts";

const FACILITY_LOCAL0 = 16;
/** RFC 5424 severities: 2 critical, 3 error, 4 warning, 5 notice, 6 informational. */
const SEVERITY = { critical: 2, high: 3, medium: 4, low: 5 } as const;
/** The private enterprise number RFC 5612 sets aside for documentation and examples. */
export const SD_ID = "netinsight@32473";

const sdEscape = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
const printable = (s: string, max: number) => (s.replace(/[^\x21-\x7e]/g, "_") || "-").slice(0, max);

/** One RFC 5424 message (without transport framing). */
export function syslogMessage(a: Alert, host = hostname()): string {
  const pri = FACILITY_LOCAL0 * 8 + (a.kind === "test" ? 6 : SEVERITY[a.severity]);
  const params: [string, string][] = [["kind", a.kind], ["key", a.key], ["severity", a.severity], ["count", String(a.count)], ["link", a.link]];
  if (a.threat) params.push(["threatType", a.threat.type], ["sourceIp", a.threat.sourceIp ?? ""], ["targetIp", a.threat.targetIp ?? ""]);
  if (a.device) params.push(["deviceId", a.device.id], ["mac", a.device.mac], ["ip", a.device.ips[0] ?? ""]);
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${sdEscape(v)}"`).join(" ")}]`;
  const ts = new Date(a.time * 1000).toISOString();
  return `<${pri}>1 ${ts} ${printable(host, 255)} netinsight ${process.pid} ${printable(a.kind, 32)} ${sd} ${a.title}: ${a.description}`;
}

export function syslogChannel(target: SyslogTarget): Channel {
  const name = `syslog:${target.transport}://${target.host}:${target.port}`;
  return target.transport === "udp" ? udpChannel(name, target) : tcpChannel(name, target);
}

function udpChannel(name: string, t: SyslogTarget): Channel {
  let sock: UdpSocket | null = null;
  return {
    name,
    deliver(alert) {
      sock ??= createSocket(t.host.includes(":") ? "udp6" : "udp4");
      const msg = Buffer.from(syslogMessage(alert));
      return new Promise<void>((resolve, reject) => sock!.send(msg, t.port, t.host, (err) => (err ? reject(err) : resolve())));
    },
    close() {
      sock?.close();
      sock = null;
    },
  };
}

function tcpChannel(name: string, t: SyslogTarget): Channel {
  let sock: Socket | null = null;
  let ready: Promise<Socket> | null = null;
  const open = () => {
    ready ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: t.host, port: t.port });
      s.once("connect", () => {
        sock = s;
        resolve(s);
      });
      s.once("error", (err) => reject(err));
      // Whatever ends the connection, the next notification opens a new one.
      s.once("close", () => {
        if (sock === s) sock = null;
        ready = null;
      });
      s.on("error", () => undefined);
    });
    return ready;
  };
  return {
    name,
    async deliver(alert, signal) {
      const s = await open();
      const msg = Buffer.from(syslogMessage(alert));
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]), (err) => {
          signal.removeEventListener("abort", onAbort);
          if (err) {
            s.destroy();
            reject(err);
          } else resolve();
        });
      });
    },
    close() {
      sock?.end();
      sock = null;
      ready = null;
    },
  };
}
