/**
 * The packet-shape summary of a flow: the signed payload lengths of its first payload-carrying
 * packets (+ initiator -> responder, - back), kept in the flow table's typed arrays, so a detector
 * can read request/response rounds (SSH authentication attempts, Zeek style) without payloads.
 */
import type { Packet } from "../decode/packet.ts";

/** Payload-carrying packets recorded per flow. */
export const SHAPE_PACKETS = 32;
/** Lengths are stored as 16-bit signed numbers: larger payloads (jumbo, offloaded) are capped. */
export const SHAPE_MAX_LENGTH = 32767;

/**
 * The payload length the packet had on the wire (TCP/UDP): from the IP length when the capture
 * cut the packet short, else the bytes captured. 0 for packets without payload.
 */
export function wirePayloadLength(p: Packet): number {
  let len = p.payloadLength;
  if (p.payloadOff < 0) return 0;
  if (p.ipTotalLength > 0 && p.l3Off >= 0) {
    const fromIp = p.ipTotalLength - (p.payloadOff - p.l3Off);
    if (fromIp > len) len = fromIp;
  }
  return len > SHAPE_MAX_LENGTH ? SHAPE_MAX_LENGTH : len < 0 ? 0 : len;
}
