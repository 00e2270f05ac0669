/** Test helpers: hex byte fixtures (comments and spaces allowed) decoded through the real link decoders. */
import { decodeFrame, linkDecoder } from "../linktype.ts";
import { Packet } from "../packet.ts";

/** "0a 0b # comment" lines -> bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.split("\n").map((l) => l.replace(/#.*$/, "")).join("").replace(/\s+/g, "");
  if (clean.length % 2) throw new Error("odd hex length");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function decode(bytes: Uint8Array, linkType = 1, ts = 1_700_000_000): Packet {
  const p = new Packet();
  const copy = new Uint8Array(bytes.length + 8); // decoders must stop at `end`, not at the buffer's end
  copy.set(bytes, 4);
  p.reset(copy, new DataView(copy.buffer), 4, 4 + bytes.length, ts, bytes.length);
  decodeFrame(p, linkDecoder(linkType));
  return p;
}

/** Decodes every prefix of a frame: none may throw, and the packet must stay within bounds. */
export function decodeAllPrefixes(bytes: Uint8Array, linkType = 1): Packet[] {
  const out: Packet[] = [];
  for (let n = 0; n <= bytes.length; n++) out.push(decode(bytes.subarray(0, n), linkType));
  return out;
}
