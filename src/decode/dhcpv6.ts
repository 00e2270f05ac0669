/**
 * DHCPv6 (RFC 8415, UDP 546/547): client and server DUIDs, the MAC inside a DUID, and the options
 * that fingerprint a client (vendor class, user class, option request list, FQDN). Relayed
 * messages are unwrapped to the client's message.
 */
import type { Dhcpv6Message } from "./types.ts";
import { hex, macString, u16, u32, utf8, wireName } from "./read.ts";

/** Options walked per message. */
export const MAX_DHCPV6_OPTIONS = 256;
/** Relay-forward / relay-reply wrappers unwrapped (RFC 8415 allows a hop count up to 32). */
export const MAX_RELAY_DEPTH = 32;
/** Entries kept from list options (option request, user class, vendor class data). */
const MAX_LIST_ITEMS = 64;

const RELAY_FORW = 12;
const RELAY_REPL = 13;
const RELAY_HEADER = 34; // type, hop count, link address, peer address
const OPT_RELAY_MSG = 9;
const HW_ETHERNET = 1;

export function decodeDhcpv6(bytes: Uint8Array, offset: number, length: number): Dhcpv6Message | undefined {
  return decodeAt(bytes, offset, Math.min(offset + length, bytes.length), 0);
}

function decodeAt(bytes: Uint8Array, offset: number, end: number, depth: number): Dhcpv6Message | undefined {
  if (offset < 0 || end - offset < 4) return undefined;
  const messageType = bytes[offset];
  if (messageType === 0) return undefined; // reserved
  if (messageType === RELAY_FORW || messageType === RELAY_REPL) {
    if (end - offset < RELAY_HEADER) return undefined;
    const inner = depth < MAX_RELAY_DEPTH ? findRelayMessage(bytes, offset + RELAY_HEADER, end) : undefined;
    const decoded = inner ? decodeAt(bytes, inner.start, inner.end, depth + 1) : undefined;
    return decoded ?? { messageType, transactionId: 0 };
  }
  const msg: Dhcpv6Message = { messageType, transactionId: (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3] };
  let pos = offset + 4;
  for (let n = 0; n < MAX_DHCPV6_OPTIONS && pos + 4 <= end; n++) {
    const code = (bytes[pos] << 8) | bytes[pos + 1];
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const data = pos + 4;
    if (data + len > end) break; // truncated: keep the options before it
    readOption(bytes, code, data, len, msg);
    pos = data + len;
  }
  return msg;
}

function findRelayMessage(bytes: Uint8Array, pos: number, end: number): { start: number; end: number } | undefined {
  for (let n = 0; n < MAX_DHCPV6_OPTIONS && pos + 4 <= end; n++) {
    const code = (bytes[pos] << 8) | bytes[pos + 1];
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (pos + 4 + len > end) return undefined;
    if (code === OPT_RELAY_MSG) return { start: pos + 4, end: pos + 4 + len };
    pos += 4 + len;
  }
  return undefined;
}

function readOption(bytes: Uint8Array, code: number, data: number, len: number, msg: Dhcpv6Message): void {
  const end = data + len;
  switch (code) {
    case 1: { // client identifier
      msg.clientId = hex(bytes, data, len);
      const mac = duidMac(bytes, data, end);
      if (mac) msg.duidMac = mac;
      break;
    }
    case 2: // server identifier
      msg.serverId = hex(bytes, data, len);
      break;
    case 6: { // option request: u16 codes
      const codes: number[] = [];
      for (let p = data; p + 2 <= end && codes.length < MAX_LIST_ITEMS; p += 2) codes.push((bytes[p] << 8) | bytes[p + 1]);
      msg.optionRequest = codes;
      break;
    }
    case 15: // user class: { u16 length, data }*
      msg.userClass = opaqueList(bytes, data, end);
      break;
    case 16: { // vendor class: enterprise number, then { u16 length, data }*
      const enterprise = u32(bytes, data, end);
      if (enterprise !== undefined) msg.vendorClass = { enterprise, data: opaqueList(bytes, data + 4, end) };
      break;
    }
    case 17: { // vendor-specific information: enterprise number first
      const enterprise = u32(bytes, data, end);
      if (enterprise !== undefined) msg.enterpriseNumber = enterprise;
      break;
    }
    case 39: // client FQDN: flags, then the name in DNS wire format (possibly partial)
      if (len >= 1) msg.fqdn = wireName(bytes, data + 1, end);
      break;
  }
}

/** The link-layer address in a DUID-LLT (type 1) or DUID-LL (type 3) over Ethernet. */
function duidMac(bytes: Uint8Array, data: number, end: number): string | undefined {
  const type = u16(bytes, data, end);
  const hwType = u16(bytes, data + 2, end);
  if (hwType !== HW_ETHERNET) return undefined;
  const at = type === 1 ? data + 8 : type === 3 ? data + 4 : -1;
  return at >= 0 && at + 6 <= end ? macString(bytes, at) : undefined;
}

function opaqueList(bytes: Uint8Array, pos: number, end: number): string[] {
  const out: string[] = [];
  for (let n = 0; n < MAX_LIST_ITEMS && pos + 2 <= end; n++) {
    const len = (bytes[pos] << 8) | bytes[pos + 1];
    if (pos + 2 + len > end) break;
    out.push(utf8(bytes, pos + 2, len));
    pos += 2 + len;
  }
  return out;
}
