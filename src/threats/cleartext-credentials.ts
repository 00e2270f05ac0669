/**
 * Cleartext credentials: a password sent unencrypted (FTP USER/PASS, Telnet, POP3/IMAP LOGIN,
 * SMTP AUTH, HTTP Basic). The event is reported with the user name; the secret is never seen here.
 */
import type { Observation } from "../engine/events.ts";
import type { FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { BoundedMap, type TrackedAnalyzer } from "./util.ts";

export function createCleartextCredentialsDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  // The decoder is per segment: USER and PASS arrive separately, so the user name is joined by flow.
  const users = new BoundedMap<string, string>(s.maxTrackedKeys);
  const raise = (o: Observation, protocol: string, user: string | undefined): void => {
    const m = o.meta;
    // The client sends the secret; if the engine saw it on the reply side, swap ends.
    const [client, clientMac, server, port] = m.fromInitiator
      ? [m.srcIp, m.srcMac, m.dstIp, m.dstPort] as const
      : [m.dstIp, m.dstMac, m.srcIp, m.srcPort] as const;
    if (!client || !server) return;
    store.raise({
      type: "cleartext_credentials",
      severity: "medium",
      title: `${protocol} password sent in cleartext`,
      description: `${client} logged in to ${protocol} on ${server}:${port}${user ? ` as "${user}"` : ""} without encryption; ` +
        `anyone on the path can read the password.`,
      ts: m.ts,
      sourceIp: client,
      sourceMac: clientMac,
      targetIp: server,
      targetPort: port,
      key: `cleartext_credentials|${client}|${server}|${port}`,
      evidence: { protocol, user: user ?? "" },
    });
  };

  return {
    name: "threats.cleartext-credentials",
    tracked: () => users.size,
    flowEndedAt(table: FlowTable, index: number): void {
      // Most flows never sent a user name: no id text is made for them.
      if (users.size > 0) users.delete(String(table.ids[index]));
    },
    flowEnded(f): void {
      users.delete(f.id);
    },
    wants: ["cleartextAuth", "http"],
    observe(o: Observation): void {
      if (o.kind === "cleartextAuth") {
        const flow = o.meta.flowId;
        if (o.msg.user && flow) users.set(flow, o.msg.user);
        if (o.msg.secretSent) raise(o, o.msg.protocol, o.msg.user ?? (flow ? users.get(flow) : undefined));
      }
      else if (o.kind === "http" && o.msg.isRequest && o.msg.authorizationScheme?.toLowerCase() === "basic") {
        raise(o, "HTTP Basic", o.msg.basicUser);
      }
    },
  };
}
