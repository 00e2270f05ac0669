/**
 * When two MACs are one device: a phone with a new randomized MAC still sends the same DHCP
 * client id (option 61) or DHCPv6 DUID, or the same host name with the same option-55 list.
 */
import type { DeviceState } from "./state.ts";

/** Keys that identify a device across MAC changes. */
export function identityKeys(st: DeviceState): string[] {
  const keys: string[] = [];
  const cid = st.evidenceValue("dhcp.client_id");
  if (cid) keys.push("cid:" + cid);
  const duid = st.evidenceValue("dhcpv6.duid");
  if (duid) keys.push("duid:" + duid);
  const host = st.evidenceValue("dhcp.hostname");
  const fp = st.evidenceValue("dhcp.fingerprint");
  if (host && fp) keys.push("hfp:" + host.toLowerCase() + "|" + fp);
  return keys;
}

/** Merge only when a randomized MAC is involved: two real MACs are two machines (two Pis named "raspberrypi"). */
export function shouldMerge(a: DeviceState, b: DeviceState): boolean {
  return a.device.macs.some(isRandom) || b.device.macs.some(isRandom);
}

function isRandom(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
}
