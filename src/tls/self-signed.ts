/**
 * A self-signed TLS certificate made in TypeScript (node:crypto keys and signatures, DER by hand),
 * so the appliance needs no openssl: ECDSA P-256 with SHA-256, valid ten years, for the host name,
 * localhost and the given addresses.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import * as der from "./der.ts";

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
} as const;

export interface SelfSignedOptions {
  /** Common name and first DNS name (the host name). */
  commonName: string;
  /** Further DNS names and IP addresses (IPv4 or IPv6) the certificate is valid for. */
  names: string[];
  now?: Date;
  validDays?: number;
}

export interface Certificate {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate, as openssl prints it (AB:CD:...). */
  fingerprint: string;
  notAfter: Date;
}

export function fingerprintOf(certDer: Uint8Array): string {
  return createHash("sha256").update(certDer).digest("hex").toUpperCase().match(/../g)!.join(":");
}

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split(".").map(Number));
  // IPv6: expand "::" and write 8 groups of 16 bits.
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g || "0", 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return der.sequence(der.objectIdentifier(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

export function makeSelfSigned(o: SelfSignedOptions): Certificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const now = o.now ?? new Date();
  const notBefore = new Date(now.getTime() - 24 * 3600_000); // a clock a little behind still accepts it
  const notAfter = new Date(now.getTime() + (o.validDays ?? 3650) * 24 * 3600_000);
  const name = der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(o.commonName))),
    der.set(der.sequence(der.objectIdentifier(OID.organization), der.utf8String("NetInsight (self-signed)"))),
  );
  const altNames = [...new Set([o.commonName, ...o.names])].map((n) =>
    isIP(n) ? der.implicit(7, ipBytes(n)) : der.implicit(2, new TextEncoder().encode(n)),
  );
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive, as RFC 5280 asks
  const keyId = createHash("sha1").update(spki).digest();
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    der.sequence(der.objectIdentifier(OID.ecdsaWithSha256)),
    name,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    spki,
    der.explicit(3, der.sequence(
      extension(OID.basicConstraints, true, der.sequence()), // CA:FALSE
      extension(OID.keyUsage, true, der.bitString(Uint8Array.of(0x80))), // digitalSignature
      extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth))),
      extension(OID.subjectAltName, false, der.sequence(...altNames)),
      extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
    )),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const certDer = der.sequence(tbs, der.sequence(der.objectIdentifier(OID.ecdsaWithSha256)), der.bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(certDer).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { certPem, keyPem, fingerprint: fingerprintOf(certDer), notAfter };
}
