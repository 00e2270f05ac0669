/**
 * The flow key: a bidirectional 5-tuple plus VLAN, canonicalised so both directions of a
 * conversation land on one entry. Endpoint A is the lower (address, port); the flow remembers
 * separately which endpoint initiated it. Laid out as 10 u32 words:
 *   [a0 a1 a2 a3 | b0 b1 b2 b3 | portA<<16 | portB | ipVersion<<20 | ipProtocol<<12 | vlan]
 * IPv4 addresses use word 0 only.
 */
import type { Packet } from "../decode/packet.ts";

export const KEY_WORDS = 10;

/**
 * Fills `key` from a decoded IP packet. Returns true when the packet's source is endpoint A.
 */
export function flowKey(p: Packet, key: Uint32Array): boolean {
  const meta = (p.ipVersion << 20) | (p.ipProtocol << 12) | (p.vlan & 0xfff);
  let srcIsA: boolean;
  if (p.ipVersion === 4) {
    const s = p.src4, d = p.dst4;
    srcIsA = s < d || (s === d && p.srcPort <= p.dstPort);
    key[0] = srcIsA ? s : d;
    key[4] = srcIsA ? d : s;
    key[1] = key[2] = key[3] = key[5] = key[6] = key[7] = 0;
  } else {
    const v = p.view, so = p.src6Off, dOff = p.dst6Off;
    let cmp = 0;
    for (let i = 0; i < 16 && cmp === 0; i += 4) {
      const a = v.getUint32(so + i), b = v.getUint32(dOff + i);
      if (a !== b) cmp = a < b ? -1 : 1;
    }
    srcIsA = cmp < 0 || (cmp === 0 && p.srcPort <= p.dstPort);
    const ao = srcIsA ? so : dOff, bo = srcIsA ? dOff : so;
    key[0] = v.getUint32(ao);
    key[1] = v.getUint32(ao + 4);
    key[2] = v.getUint32(ao + 8);
    key[3] = v.getUint32(ao + 12);
    key[4] = v.getUint32(bo);
    key[5] = v.getUint32(bo + 4);
    key[6] = v.getUint32(bo + 8);
    key[7] = v.getUint32(bo + 12);
  }
  key[8] = srcIsA ? ((p.srcPort << 16) | p.dstPort) >>> 0 : ((p.dstPort << 16) | p.srcPort) >>> 0;
  key[9] = meta;
  return srcIsA;
}

/** One murmur3 mixing round. */
function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** A 32-bit hash of the key (murmur3 rounds); IPv4 keys hash only the words that can be non-zero. */
export function hashKey(key: Uint32Array): number {
  let h = mix(mix(mix(mix(0x9747b28c, key[0]), key[4]), key[8]), key[9]);
  if (key[9] >>> 20 === 6) {
    h = mix(mix(mix(h, key[1]), key[2]), key[3]);
    h = mix(mix(mix(h, key[5]), key[6]), key[7]);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
