/**
 * DHCPv4 / BOOTP (RFC 2131, 2132): the fixed header and the options devices and the rogue-server
 * detector need, including options carried in sname/file when option 52 overloads them.
 */
import type { DhcpMessage } from "./types.ts";
import { hex, ipv4String, macString, u32, utf8, wireName } from "./read.ts";

/** Fixed BOOTP header up to the end of `file`. */
const BOOTP_HEADER = 236;
const MAGIC_COOKIE = 0x63825363;
const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
/** Options (pads included) walked per options area; a 1500-byte area holds fewer. */
const MAX_OPTION_ITEMS = 1500;
/** Addresses kept from one list option (router, DNS servers). */
const MAX_ADDRESSES = 16;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_OVERLOAD = 52;

export function decodeDhcp(bytes: Uint8Array, offset: number, length: number): DhcpMessage | undefined {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < BOOTP_HEADER) return undefined;
  const op = bytes[offset];
  if (op !== 1 && op !== 2) return undefined;
  const msg: DhcpMessage = {
    op,
    messageType: 0,
    xid: u32(bytes, offset + 4, end) ?? 0,
    clientMac: macString(bytes, offset + 28),
    clientIp: ipv4String(bytes, offset + 12),
    yourIp: ipv4String(bytes, offset + 16),
    serverIp: ipv4String(bytes, offset + 20),
    relayIp: ipv4String(bytes, offset + 24),
    optionOrder: [],
  };
  if (u32(bytes, offset + BOOTP_HEADER, end) !== MAGIC_COOKIE) return msg; // plain BOOTP
  const overload = readOptions(bytes, offset + BOOTP_HEADER + 4, end, msg);
  // RFC 2131 4.1: options continue in `file`, then in `sname`.
  if (overload & 1) readOptions(bytes, offset + FILE_OFFSET, offset + FILE_OFFSET + FILE_LENGTH, msg);
  if (overload & 2) readOptions(bytes, offset + SNAME_OFFSET, offset + SNAME_OFFSET + SNAME_LENGTH, msg);
  return msg;
}

/** Reads one options area into `msg`; returns the option 52 value seen there (0 if none). */
function readOptions(bytes: Uint8Array, start: number, end: number, msg: DhcpMessage): number {
  let overload = 0;
  let pos = start;
  for (let items = 0; items < MAX_OPTION_ITEMS && pos < end; items++) {
    const code = bytes[pos];
    if (code === OPT_PAD) {
      pos++;
      continue;
    }
    if (code === OPT_END) break;
    if (pos + 2 > end) break;
    const len = bytes[pos + 1];
    const data = pos + 2;
    if (data + len > end) break; // truncated option: keep what was read before it
    msg.optionOrder.push(code);
    if (code === OPT_OVERLOAD && len >= 1) overload = bytes[data];
    else readOption(bytes, code, data, len, msg);
    pos = data + len;
  }
  return overload;
}

function readOption(bytes: Uint8Array, code: number, data: number, len: number, msg: DhcpMessage): void {
  switch (code) {
    case 53:
      if (len >= 1) msg.messageType = bytes[data];
      break;
    case 12:
      msg.hostname = utf8(bytes, data, len);
      break;
    case 50:
      if (len >= 4) msg.requestedIp = ipv4String(bytes, data);
      break;
    case 54:
      if (len >= 4) msg.serverId = ipv4String(bytes, data);
      break;
    case 55:
      // RFC 3396: a repeated option continues the previous one.
      msg.parameterList = (msg.parameterList ?? []).concat(Array.from(bytes.subarray(data, data + len)));
      break;
    case 60:
      msg.vendorClass = utf8(bytes, data, len);
      break;
    case 61:
      msg.clientId = hex(bytes, data, len);
      break;
    case 81:
      if (len >= 3) msg.fqdn = fqdnName(bytes, data, len);
      break;
    case 3:
      msg.router = addressList(bytes, data, len);
      break;
    case 6:
      msg.dnsServers = addressList(bytes, data, len);
      break;
    case 51:
      if (len >= 4) msg.leaseTime = u32(bytes, data, data + 4);
      break;
  }
}

/** RFC 4702: flags, two rcodes, then the name in wire format when the E flag is set, else ASCII. */
function fqdnName(bytes: Uint8Array, data: number, len: number): string {
  const flags = bytes[data];
  const nameStart = data + 3;
  const nameLen = len - 3;
  return flags & 0x04 ? wireName(bytes, nameStart, nameStart + nameLen) : utf8(bytes, nameStart, nameLen);
}

function addressList(bytes: Uint8Array, data: number, len: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + 4 <= len && out.length < MAX_ADDRESSES; i += 4) out.push(ipv4String(bytes, data + i));
  return out;
}
