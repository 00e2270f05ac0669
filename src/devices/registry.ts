/**
 * The tracker's indexes: devices by id (in recency order, for eviction), by MAC, by address and
 * by identity key (DHCP client id, DUID, host name + fingerprint). Index operations only; the
 * policy (what is local, what merges) lives in tracker.ts.
 */
import { canonicalIpv4 } from "../util/locality.ts";
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
  private readonly byIdentity = new Map<string, DeviceState>();
  private readonly keysOf = new Map<DeviceState, Set<string>>();

  add(st: DeviceState): void {
    const id = st.device.id;
    const had = this.byId.get(id);
    // A device under the same id keeps its place, as Map.set keeps a key's.
    if (had !== undefined && had !== st) this.#recency.replace(had, st);
    else if (had === undefined) this.#recency.append(st);
    this.byId.set(id, st);
    for (const mac of st.device.macs) this.setMac(mac, st);
    for (const ip of st.device.ips) this.setIp(ip, st);
  }

  setMac(mac: string, st: DeviceState): void {
    this.byMac.set(mac, st);
    const n = macNumber(mac);
    if (n >= 0) this.byMacNumber.set(n, st);
  }

  deleteMac(mac: string): void {
    this.byMac.delete(mac);
    const n = macNumber(mac);
    if (n >= 0) this.byMacNumber.delete(n);
  }

  setIp(ip: string, st: DeviceState): void {
    this.byIp.set(ip, st);
    const n = canonicalIpv4(ip);
    if (n >= 0) this.byIp4.set(n, st);
  }

  deleteIp(ip: string): void {
    this.byIp.delete(ip);
    const n = canonicalIpv4(ip);
    if (n >= 0) this.byIp4.delete(n);
  }

  /** Marks the device as the most recently seen. */
  touch(st: DeviceState): void {
    const id = st.device.id;
    const had = this.byId.get(id);
    if (had === st && this.#recency.newest === st) return;
    if (had) this.#recency.unlink(had);
    if (had !== st) this.byId.set(id, st);
    this.#recency.append(st);
  }

  /** Every device, least recently seen first. */
  *values(): IterableIterator<DeviceState> {
    for (let st = this.#recency.oldest; st; st = st.newer) yield st;
  }

  /** Removes the device from every index (eviction, or merged into another). */
  remove(st: DeviceState): void {
    const d = st.device;
    if (this.byId.get(d.id) === st) {
      this.byId.delete(d.id);
      this.#recency.unlink(st);
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

