/**
 * JA3 (Salesforce, BSD-3) of a TLS ClientHello: MD5 of "version,ciphers,extensions,groups,point
 * formats" (decimal, dash-joined, GREASE values left out). abuse.ch's SSLBL lists malware by JA3.
 */
import { createHash } from "node:crypto";
import type { TlsClientHello } from "../decode/types.ts";

const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
const field = (list: readonly number[] | undefined): string => (list ?? []).filter((v) => !isGrease(v)).join("-");

export function ja3String(h: TlsClientHello): string {
  return [h.version, field(h.cipherSuites), field(h.extensions), field(h.supportedGroups), (h.ecPointFormats ?? []).join("-")].join(",");
}

export function ja3(h: TlsClientHello): string {
  return createHash("md5").update(ja3String(h)).digest("hex");
}
