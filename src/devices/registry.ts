/**
 * The tracker's indexes: devices by id (in recency order, for eviction), by MAC, by address and
 * by identity key (DHCP client id, DUID, host name + fingerprint). Index operations only; the
 * policy (what is local, what merges) lives in tracker.ts.
 */
import { ipv6FromWords } from "../decode/addr.ts";
import { canonicalIpv4, isIpv6 } from "../util/locality.ts";
import { macNumber, type DeviceState } from "./state.ts";
import { RecencyList } from "../util/recency-list.ts";

export class DeviceRegistry {
  /**
   * Every device by id. Recency (for eviction) is a list threaded through the devices themselves:
   * touching one is a few pointer moves, not a Map delete and insert per touch.
   */
  readonly byId = new Map<string, DeviceState>();
  readonly #recency = new RecencyList<DeviceState>();
  /** Read only: write through setMac / deleteMac, which keep byMacNumber beside it. */
  readonly byMac = new Map<string, DeviceState>();
  /** The same index by the MAC as a number (the flow table's form): flows find their devices without text. */
  readonly byMacNumber = new Map<number, DeviceState>();
  /** Read only: write through setIp / deleteIp, which keep byIp4 beside it. */
  readonly byIp = new Map<string, DeviceState>();
  /** The IPv4 addresses of byIp as numbers (the flow table's and packet meta's form). */
  readonly byIp4 = new Map<number, DeviceState>();
  /**
   * The IPv6 addresses of byIp written as the capture path writes them, by their four words (the
   * flow table's form): a hash of the words to the few entries that have it.
   */
  readonly #byIp6 = new Map<number, V6Owner[]>();
  private readonly byIdentity = new Map<string, DeviceState>();
  /**
   * Bumped by every change of the MAC and address indexes (and of the devices in them): an answer
   * remembered with the version it was read at holds while the version is the same.
   */
  version = 0;
  private readonly keysOf = new Map<DeviceState, Set<string>>();

  add(st: DeviceState): void {
    this.version++;
    const id = st.device.id;
    const had = this.byId.get(id);
    // A device under the same id keeps its place, as Map.set keeps a key's.
    if (had !== undefined && had !== st) {
      this.#recency.replace(had, st);
      had.registered = false;
    } else if (had === undefined) this.#recency.append(st);
    this.byId.set(id, st);
    st.registered = true;
    for (const mac of st.device.macs) this.setMac(mac, st);
    for (const ip of st.device.ips) this.setIp(ip, st);
  }

  setMac(mac: string, st: DeviceState): void {
    this.version++;
    this.byMac.set(mac, st);
    const n = macNumber(mac);
    if (n >= 0) this.byMacNumber.set(n, st);
  }

  deleteMac(mac: string): void {
    this.version++;
    this.byMac.delete(mac);
    const n = macNumber(mac);
    if (n >= 0) this.byMacNumber.delete(n);
  }

  setIp(ip: string, st: DeviceState): void {
    this.version++;
    this.byIp.set(ip, st);
    const n = canonicalIpv4(ip);
    if (n >= 0) this.byIp4.set(n, st);
    else if (isIpv6(ip) && canonicalIpv6Words(ip)) {
      const h = hash6(WORDS[0]!, WORDS[1]!, WORDS[2]!, WORDS[3]!);
      const list = this.#byIp6.get(h);
      const had = list?.find((e) => e.ip === ip);
      if (had) had.st = st;
      else if (list) list.push({ ip, w0: WORDS[0]!, w1: WORDS[1]!, w2: WORDS[2]!, w3: WORDS[3]!, st });
      else this.#byIp6.set(h, [{ ip, w0: WORDS[0]!, w1: WORDS[1]!, w2: WORDS[2]!, w3: WORDS[3]!, st }]);
    }
  }

  deleteIp(ip: string): void {
    this.version++;
    this.byIp.delete(ip);
    const n = canonicalIpv4(ip);
    if (n >= 0) this.byIp4.delete(n);
    else if (isIpv6(ip) && canonicalIpv6Words(ip)) {
      const h = hash6(WORDS[0]!, WORDS[1]!, WORDS[2]!, WORDS[3]!);
      const list = this.#byIp6.get(h);
      const at = list ? list.findIndex((e) => e.ip === ip) : -1;
      if (at < 0) return;
      list!.splice(at, 1);
      if (list!.length === 0) this.#byIp6.delete(h);
    }
  }

  /** `byIp.get(text)` for an IPv6 address given as its words (the text the capture path would write). */
  ownerOf6(w0: number, w1: number, w2: number, w3: number): DeviceState | undefined {
    const list = this.#byIp6.get(hash6(w0, w1, w2, w3));
    if (list === undefined) return undefined;
    for (const e of list) if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.st;
    return undefined;
  }

  /** Marks the device as the most recently seen. */
  touch(st: DeviceState): void {
    // A device in the registry (nearly always) moves by its links alone: no lookup of its id.
    if (st.registered) {
      if (this.#recency.newest !== st) {
        this.#recency.unlink(st);
        this.#recency.append(st);
      }
      return;
    }
    const id = st.device.id;
    const had = this.byId.get(id);
    if (had) {
      this.#recency.unlink(had);
      had.registered = false;
    }
    this.byId.set(id, st);
    st.registered = true;
    this.#recency.append(st);
  }

  /** Every device, least recently seen first. */
  *values(): IterableIterator<DeviceState> {
    for (let st = this.#recency.oldest; st; st = st.newer) yield st;
  }

  /** Removes the device from every index (eviction, or merged into another). */
  remove(st: DeviceState): void {
    this.version++;
    const d = st.device;
    if (this.byId.get(d.id) === st) {
      this.byId.delete(d.id);
      this.#recency.unlink(st);
      st.registered = false;
    }
    for (const mac of d.macs) if (this.byMac.get(mac) === st) this.deleteMac(mac);
    for (const ip of d.ips) if (this.byIp.get(ip) === st) this.deleteIp(ip);
    for (const key of this.keysOf.get(st) ?? []) if (this.byIdentity.get(key) === st) this.byIdentity.delete(key);
    this.keysOf.delete(st);
  }

  /** The least recently seen device. */
  oldest(): DeviceState | undefined {
    return this.#recency.oldest ?? undefined;
  }

  isLive(st: DeviceState): boolean {
    return this.byId.get(st.device.id) === st;
  }

  /** The device already holding this identity key, or undefined after claiming the key for `st`. */
  claimIdentity(key: string, st: DeviceState): DeviceState | undefined {
    const other = this.byIdentity.get(key);
    if (other && other !== st && this.isLive(other)) return other;
    this.byIdentity.set(key, st);
    let keys = this.keysOf.get(st);
    if (!keys) this.keysOf.set(st, (keys = new Set()));
    keys.add(key);
    return undefined;
  }

  /** Hands every identity key of `from` to `into`. */
  moveIdentities(from: DeviceState, into: DeviceState): void {
    for (const key of this.keysOf.get(from) ?? []) this.claimIdentity(key, into);
    this.keysOf.delete(from);
  }
}


/** An IPv6 address of byIp by its words. */
interface V6Owner { readonly ip: string; readonly w0: number; readonly w1: number; readonly w2: number; readonly w3: number; st: DeviceState }

function hash6(w0: number, w1: number, w2: number, w3: number): number {
  return (Math.imul(w0 ^ (w1 >>> 7), 0x9e3779b1) ^ Math.imul(w2 ^ (w3 << 3), 0x85ebca6b) ^ w3 ^ (w1 << 11)) >>> 0;
}

/** Scratch words of the address canonicalIpv6Words read last. */
const WORDS = new Uint32Array(4);
const GROUPS = new Uint16Array(8);

/**
 * Reads IPv6 text into WORDS; true only when the text is exactly as the capture path writes those
 * words (so text lookups and word lookups name the same addresses). Run when a device is given an
 * address or loses one, not per packet.
 */
function canonicalIpv6Words(ip: string): boolean {
  if (ip.startsWith("::ffff:") && ip.includes(".")) {
    const n = canonicalIpv4(ip.slice(7));
    if (n < 0) return false;
    WORDS[0] = 0; WORDS[1] = 0; WORDS[2] = 0xffff; WORDS[3] = n;
    return ipv6FromWords(0, 0, 0xffff, n) === ip;
  }
  const halves = ip.split("::");
  if (halves.length > 2) return false;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-f]{1,4}$/.test(g)) return false;
    GROUPS[i] = parseInt(g, 16);
  }
  for (let i = 0; i < 4; i++) WORDS[i] = GROUPS[2 * i]! * 0x10000 + GROUPS[2 * i + 1]!;
  return ipv6FromWords(WORDS[0]!, WORDS[1]!, WORDS[2]!, WORDS[3]!) === ip;
}
