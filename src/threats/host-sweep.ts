/**
 * Horizontal scan / host sweep: one source probing many hosts, by ARP who-has, ICMP echo, or one
 * TCP/UDP port (LAN hosts on first packet; internet hosts only when the attempts fail, as worms do).
 */
import type { Observation } from "../engine/events.ts";
import type { FlowRecord } from "../flows/record.ts";
import type { EndReason, FlowTable } from "../flows/table.ts";
import type { ThreatSettings } from "./settings.ts";
import type { ThreatStore } from "./store.ts";
import { isLocalAddress, isLocalIpv4 } from "../util/locality.ts";
import { PairTable } from "./pair-table.ts";
import {
  type Address, addressOf, addressText, dstAddress, dstIp4, EndedFlowRef, isGroupIp4, type MacAddress, macText,
  metaDst, metaSrc, metaSrcMac, SmallSet, srcAddress, srcMacOf, SweepGate, isGroupIp, type EndedFlow, type TrackedAnalyzer, type StartedFlow,
  reportGrowth, reportOnce,
} from "./util.ts";

const MAX_HOSTS_TRACKED = 4096;
const SAMPLE_HOSTS = 10;
const HIGH_FACTOR = 5;

/**
 * One source's sweep window. The state is itself the set of the hosts probed (a SmallSet): one
 * object per source and method, not a state and a set.
 */
class SweepState extends SmallSet<Address> {
  start: number;
  last: number;
  /** The source (its number for an IPv4 flow: text only for a report). */
  srcIp: Address;
  srcMac: MacAddress | null;
  method: string; // "ARP" | "ICMP" | "TCP/22" ...
  port: number | null;
  raised = false;
  dirty = false;

  constructor(ts: number, srcIp: Address, srcMac: MacAddress | null, method: string, port: number | null) {
    super();
    this.start = this.last = ts;
    this.srcIp = srcIp;
    this.srcMac = srcMac;
    this.method = method;
    this.port = port;
  }

  /** The hosts probed, as the source is kept: numbers for IPv4, text only for a report. */
  get hosts(): SmallSet<Address> {
    return this;
  }
}

/** A TCP attempt that got no answer, or only a reset, and carried no data. */
function failedAttempt(f: Pick<FlowRecord, "protocol" | "tcpState" | "packetsReceived">): boolean {
  if (f.protocol === "TCP") return f.tcpState === "attempt" || (f.tcpState === "reset" && f.packetsReceived <= 1);
  return f.packetsReceived === 0;
}

/** Whether a flow's responder is on the LAN (by number for IPv4: no text read). */
function isLocalDst(f: StartedFlow | EndedFlow | FlowRecord): boolean {
  const dst4 = dstIp4(f);
  return dst4 >= 0 ? isLocalIpv4(dst4) : isLocalAddress(f.dstIp);
}

/** A method as a number (TCP ports, UDP ports, ARP, ICMP), half of a sweep's number key. */
const UDP_METHOD = 65536, ARP_METHOD = 131072, ICMP_METHOD = 131073;
function methodCode(protocol: string, port: number): number {
  return protocol === "TCP" ? port : protocol === "UDP" ? port + UDP_METHOD : -1;
}

/** "TCP/22", made once per protocol and port rather than once per flow. */
const methods = new Map<number, string>();
function methodOf(protocol: string, port: number): string {
  const key = methodCode(protocol, port);
  if (key < 0) return `${protocol}/${port}`;
  let m = methods.get(key);
  if (m === undefined) methods.set(key, (m = `${protocol}/${port}`));
  return m;
}

export function createHostSweepDetector(store: ThreatStore, s: ThreatSettings): TrackedAnalyzer {
  /** By source and method: an IPv4 source as (method code, its number), else the text "src|method". */
  const sweeps = new PairTable<SweepState>(s.maxTrackedKeys);
  const gate = new SweepGate();

  const raise = (st: SweepState): void => {
    const hosts = st.hosts.size;
    const srcIp = addressText(st.srcIp);
    store.raise({
      type: "host_sweep",
      severity: hosts >= s.sweepHosts * HIGH_FACTOR ? "high" : "medium",
      title: `Host sweep by ${srcIp} (${st.method})`,
      description: `${srcIp} probed ${hosts} hosts by ${st.method} within ${Math.round(st.last - st.start)} s.`,
      ts: st.last,
      sourceIp: srcIp,
      sourceMac: macText(st.srcMac),
      targetPort: st.port,
      key: `host_sweep|${srcIp}|${st.method}`,
      evidence: {
        hosts,
        method: st.method,
        windowSeconds: s.sweepWindowSeconds,
        threshold: s.sweepHosts,
        sampleHosts: [...st.hosts].slice(0, SAMPLE_HOSTS).map(addressText),
      },
    });
  };

  /** The source and the host probed: numbers for IPv4 (no text per flow or packet), else text. */
  const count = (srcIp: Address, srcMac: MacAddress | null, method: string, code: number, port: number | null,
    host: Address, ts: number) => {
    if (typeof host === "number" ? isGroupIp4(host) : isGroupIp(host)) return;
    if (typeof srcIp === typeof host ? srcIp === host : addressText(host) === addressText(srcIp)) return;
    // An IPv4 source's key is two numbers (no text per flow): the method's code and the address.
    const text = typeof srcIp === "number" && code >= 0 ? null : `${addressText(srcIp)}|${method}`;
    const at = text === null ? sweeps.findNumber(code, srcIp as number) : sweeps.findText(text);
    let st = at >= 0 ? sweeps.valueAt(at) : undefined;
    if (!st || ts - st.start > s.sweepWindowSeconds) {
      // The source's past window reset in place, or the state the cap drops (no object per source in a flood), or new.
      const reuse = st ?? sweeps.evictForReuse();
      if (reuse === undefined) st = new SweepState(ts, srcIp, srcMac, method, port);
      else {
        st = reuse;
        st.start = st.last = ts;
        st.hosts.clear();
        st.srcIp = srcIp;
        st.srcMac = srcMac;
        st.method = method;
        st.port = port;
        st.raised = st.dirty = false;
      }
      // A source reset in place keeps its place in the table.
      if (at < 0) {
        if (text === null) sweeps.addNumber(code, srcIp as number, st);
        else sweeps.addText(text, st);
      }
    }
    st.last = Math.max(st.last, ts);
    gate.saw(st.last);
    if (st.size < MAX_HOSTS_TRACKED) st.add(host); // addCapped, with one class of set here
    if (st.size < s.sweepHosts) return;
    reportOnce(st, raise, gate);
  };

  const countFlow = (f: StartedFlow | EndedFlow | FlowRecord): void => {
    const { protocol, dstPort } = f;
    count(srcAddress(f), srcMacOf(f), methodOf(protocol, dstPort), methodCode(protocol, dstPort), dstPort, dstAddress(f), f.startTime);
  };

  const flowStarted = (f: StartedFlow): void => {
    if ((f.protocol === "TCP" || f.protocol === "UDP") && isLocalDst(f)) {
      countFlow(f);
    }
  };

  /** The flow of the current numeric flowEnded call. */
  const ended = new EndedFlowRef();
  const flowEnded = (f: EndedFlow | FlowRecord): void => {
    // Internet destinations count only when the attempt failed: browsing reaches many hosts on 443.
    if (f.protocol === "TCP" && failedAttempt(f) && !isLocalDst(f)) {
      countFlow(f);
    }
  };

  return {
    name: "threats.host-sweep",
    tracked: () => sweeps.size,
    wants: ["arp", "icmp"],
    observe(o: Observation): void {
      if (o.kind === "arp") {
        // ARP probes (sender 0.0.0.0) and announcements are address-conflict checks, not sweeps.
        if (o.msg.op !== 1 || o.msg.gratuitous || o.msg.senderIp === "0.0.0.0") return;
        const { senderIp, targetIp } = o.msg;
        count(addressOf(senderIp), o.msg.senderMac, "ARP", ARP_METHOD, null, addressOf(targetIp), o.meta.ts);
      } else if (o.kind === "icmp") {
        const echo = o.msg.v6 ? o.msg.type === 128 : o.msg.type === 8;
        if (!echo) return;
        const src = metaSrc(o.meta), dst = metaDst(o.meta);
        if (src !== null && src !== "" && dst !== null && dst !== "") count(src, metaSrcMac(o.meta), "ICMP", ICMP_METHOD, null, dst, o.meta.ts);
      }
    },
    flowStartedAt(table: FlowTable, index: number): void {
      // flowStarted read straight from the table (no flow view per call).
      const proto = table.ipProtocolOf(index);
      if (proto !== 6 && proto !== 17) return;
      const b4 = table.responderIp4(index);
      if (!(b4 >= 0 ? isLocalIpv4(b4) : isLocalAddress(table.responderIp(index)))) return;
      const a4 = table.initiatorIp4(index), mac = table.initiatorMac(index), dstPort = table.responderPort(index);
      const protocol = proto === 6 ? "TCP" : "UDP";
      count(a4 >= 0 ? a4 : table.initiatorIp(index), mac >= 0 ? mac : null, methodOf(protocol, dstPort), methodCode(protocol, dstPort), dstPort,
        b4 >= 0 ? b4 : table.responderIp(index), table.firstSeenOf(index));
    },
    flowStarted,
    flowEndedAt(table: FlowTable, index: number, _reason: EndReason): void {
      if (table.ipProtocolOf(index) === 6) flowEnded(ended.at(table, index));
    },
    flowEnded,
    tick(now: number): void {
      reportGrowth(sweeps, now, s.sweepWindowSeconds, raise, gate);
    },
  };
}
