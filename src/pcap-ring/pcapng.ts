/**
 * pcapng files (the format Wireshark writes) from ring packets: a section header whose comment says
 * what the file is (a threat, a flow, a device), one interface per link type, one enhanced packet
 * block per packet (microsecond timestamps). Little-endian throughout.
 */
import { concatBytes } from "../util/bytes.ts";
import type { RingPacket } from "./ring.ts";

const SHB = 0x0a0d0d0a, IDB = 0x00000001, EPB = 0x00000006;
const OPT_COMMENT = 1, OPT_END = 0;
const SNAPLEN = 262144;

const pad4 = (n: number) => (n + 3) & ~3;

function commentOption(text: string): Uint8Array {
  const b = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + pad4(b.length) + 4); // option, then opt_endofopt
  const v = new DataView(out.buffer);
  v.setUint16(0, OPT_COMMENT, true);
  v.setUint16(2, b.length, true);
  out.set(b, 4);
  v.setUint16(4 + pad4(b.length), OPT_END, true);
  return out;
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  v.setUint32(total - 4, total, true);
  return out;
}

/** The section header block, with a comment naming what the file holds. */
export function sectionHeader(comment: string): Uint8Array {
  const opts = commentOption(comment);
  const body = new Uint8Array(16 + opts.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, true); // byte-order magic
  v.setUint16(4, 1, true); // version 1.0
  v.setUint16(6, 0, true);
  v.setInt32(8, -1, true); // section length unknown (64 bits of -1)
  v.setInt32(12, -1, true);
  body.set(opts, 16);
  return block(SHB, body);
}

export function interfaceBlock(linkType: number): Uint8Array {
  const body = new Uint8Array(8);
  const v = new DataView(body.buffer);
  v.setUint16(0, linkType, true);
  v.setUint32(4, SNAPLEN, true);
  return block(IDB, body);
}

export function packetBlock(iface: number, p: RingPacket): Uint8Array {
  const body = new Uint8Array(20 + pad4(p.data.length));
  const v = new DataView(body.buffer);
  const us = Math.round(p.ts * 1e6);
  v.setUint32(0, iface, true);
  v.setUint32(4, Math.floor(us / 0x1_0000_0000), true);
  v.setUint32(8, us % 0x1_0000_0000, true);
  v.setUint32(12, p.data.length, true);
  v.setUint32(16, Math.max(p.origLen, p.data.length), true);
  body.set(p.data, 20);
  return block(EPB, body);
}

/** Interface numbering across the blocks of one section: a new link type gets the next interface. */
export class InterfaceMap {
  readonly #ids = new Map<number, number>();
  /** The interface of a link type, and the block declaring it when it is new. */
  get(linkType: number): { id: number; block: Uint8Array | null } {
    const known = this.#ids.get(linkType);
    if (known !== undefined) return { id: known, block: null };
    const id = this.#ids.size;
    this.#ids.set(linkType, id);
    return { id, block: interfaceBlock(linkType) };
  }
  /** Restores the numbering of a file written earlier (the keeper appends to its files). */
  set(linkType: number, id: number): void {
    this.#ids.set(linkType, id);
  }
  entries(): [number, number][] {
    return [...this.#ids];
  }
}

/** Packet blocks (with interface blocks as new link types appear) for `packets`. */
export function packetBlocks(packets: RingPacket[], ifaces: InterfaceMap): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of packets) {
    const { id, block: idb } = ifaces.get(p.linkType);
    if (idb) out.push(idb);
    out.push(packetBlock(id, p));
  }
  return out;
}

/** A whole pcapng file. */
export function pcapngFile(comment: string, packets: RingPacket[]): Uint8Array {
  return concatBytes([sectionHeader(comment), ...packetBlocks(packets, new InterfaceMap())]);
}


