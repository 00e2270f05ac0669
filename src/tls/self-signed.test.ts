import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as der from "./der.ts";
import { makeSelfSigned } from "./self-signed.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("DER", () => {
  test("object identifiers, integers, lengths and times encode as X.690 says", () => {
    expect(hex(der.objectIdentifier("1.2.840.10045.4.3.2"))).toBe("06082a8648ce3d040302"); // ecdsa-with-SHA256
    expect(hex(der.objectIdentifier("2.5.29.17"))).toBe("0603551d11");
    expect(hex(der.unsignedInteger(Uint8Array.of(0, 0, 0x80)))).toBe("02020080"); // top bit set: a 0 in front
    expect(hex(der.smallInteger(2))).toBe("020102");
    expect(hex(der.octetString(new Uint8Array(200))).slice(0, 6)).toBe("0481c8"); // long form length
    expect(new TextDecoder().decode(der.time(new Date("2036-12-04T00:12:04Z")).subarray(2))).toBe("361204001204Z");
    expect(der.time(new Date("2051-01-01T00:00:00Z"))[0]).toBe(0x18); // GeneralizedTime from 2050
  });
});

describe("self-signed certificate", () => {
  const now = new Date("2026-12-07T00:00:00Z");
  const c = makeSelfSigned({ commonName: "pi5", names: ["localhost", "127.0.0.1", "::1", "192.168.1.20"], now });
  const x = new X509Certificate(c.certPem);

  test("parses, signs itself with its own P-256 key, covers the names, valid ten years", () => {
    expect(x.subject).toContain("CN=pi5");
    expect(x.issuer).toBe(x.subject);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x.subjectAltName).toBe("DNS:pi5, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.168.1.20");
    expect(x.checkHost("localhost")).toBe("localhost");
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2036);
    expect(x.ca).toBe(false);
    expect(c.fingerprint).toBe(x.fingerprint256);
  });

  test.skipIf(!Bun.which("openssl"))("openssl agrees: valid structure, same fingerprint, key matches", () => {
    const dir = mkdtempSync(join(tmpdir(), "ni-tls-"));
    writeFileSync(join(dir, "c.pem"), c.certPem);
    writeFileSync(join(dir, "k.pem"), c.keyPem);
    const fp = Bun.spawnSync(["openssl", "x509", "-in", join(dir, "c.pem"), "-noout", "-fingerprint", "-sha256"]);
    expect(fp.stdout.toString().trim()).toBe(`sha256 Fingerprint=${c.fingerprint}`);
    const verify = Bun.spawnSync(["openssl", "verify", "-CAfile", join(dir, "c.pem"), join(dir, "c.pem")]);
    expect(verify.stdout.toString().trim()).toBe(`${join(dir, "c.pem")}: OK`);
    const pubFromKey = Bun.spawnSync(["openssl", "pkey", "-in", join(dir, "k.pem"), "-pubout"]).stdout.toString();
    const pubFromCert = Bun.spawnSync(["openssl", "x509", "-in", join(dir, "c.pem"), "-noout", "-pubkey"]).stdout.toString();
    expect(pubFromKey).toBe(pubFromCert);
  });
});
