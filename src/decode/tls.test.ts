import { describe, expect, test } from "bun:test";
import { decodeTlsClientHello, decodeTlsServerHello, isTlsHandshakeRecord } from "./tls.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));

// Chrome ClientHello to f.vimeocdn.com (nDPI corpus tls/ndpi_sites.pcapng); its JA4 is FoxIO's README example.
const CHROME_HELLO = hex(`
  16 0301 0200                       # record: handshake, TLS 1.0, 512 bytes
  01 0001fc                          # handshake: ClientHello, 508 bytes
  0303                               # legacy_version TLS 1.2
  6cbd830a3e219d0c199cf20c5c1e567a31c6b10bcdf4643856289ac8e1fd7a58  # random
  20 bfba02458f56aac66e7b433fd350912ef58b175e003afdc07f615908464d28e5 # session id (32)
  0020 0a0a 1301 1302 1303 c02b c02f c02c c030 cca9 cca8 c013 c014 009c 009d 002f 0035 # 16 suites, GREASE first
  01 00                              # compression: null
  0193                               # extensions: 403 bytes
  4a4a 0000                          # GREASE
  0000 0013 0011 00 000e 662e76696d656f63646e2e636f6d  # server_name f.vimeocdn.com
  0017 0000                          # extended_master_secret
  ff01 0001 00                       # renegotiation_info
  000a 000a 0008 1a1a 001d 0017 0018 # supported_groups
  000b 0002 0100                     # ec_point_formats
  0023 0000                          # session_ticket
  0010 000e 000c 02 6832 08 687474702f312e31 # ALPN h2, http/1.1
  0005 0005 0100000000               # status_request
  000d 0012 0010 0403 0804 0401 0503 0805 0501 0806 0601 # signature_algorithms
  0012 0000                          # signed_certificate_timestamp
  0033 002b 0029 1a1a 0001 00 001d 0020 7f3b9f76f0a4c6ef20dd1e31df69838a0692d13925f983a5ecb9d5b075b61475 # key_share
  002d 0002 0101                     # psk_key_exchange_modes
  002b 000b 0a 9a9a 0304 0303 0302 0301 # supported_versions (GREASE first)
  001b 0003 020002                   # compress_certificate
  4469 0005 0003 026832              # application_settings
  1a1a 0001 00                       # GREASE
  0015 00c5 ${"00".repeat(0xc5)}     # padding
`);

// TLS 1.3 ServerHello (nDPI corpus tls/ndpi_reddit.pcap).
const SERVER_HELLO = hex(`
  16 0303 007a                       # record: handshake, 122 bytes
  02 000076                          # ServerHello, 118 bytes
  0303                               # legacy_version
  858ad9624ed1947b1273ba04fbe2265e38f01730227a60cea94102348a43f927 # random
  20 1f03cb6af44cc11000ac96befdfb537104160eccd5cc4e72a3629f27dc100ee3 # session id echo
  1301                               # TLS_AES_128_GCM_SHA256
  00                                 # compression
  002e                               # extensions: 46 bytes
  0033 0024 001d 0020 9075238444f57a38c54fdd867289d9180be9f31dbbb6ca036459cca465d9b018 # key_share
  002b 0002 0304                     # supported_versions: TLS 1.3
`);

describe("decodeTlsClientHello", () => {
  test("reads a real Chrome ClientHello", () => {
    const h = decodeTlsClientHello(CHROME_HELLO, 0, CHROME_HELLO.length)!;
    expect(h.sni).toBe("f.vimeocdn.com");
    expect(h.version).toBe(0x0303);
    expect(h.alpn).toEqual(["h2", "http/1.1"]);
    expect(h.supportedVersions).toEqual([0x9a9a, 0x0304, 0x0303, 0x0302, 0x0301]);
    expect(h.cipherSuites.length).toBe(16);
    expect(h.extensions[0]).toBe(0x4a4a);
    expect(h.extensions.length).toBe(18);
    expect(h.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]);
    expect(h.ja4).toBe("t13d1516h2_8daaf6152771_e5627efa2ab1");
  });

  test("hellos with the same lists share them, frozen; other values get lists of their own", () => {
    const a = decodeTlsClientHello(CHROME_HELLO, 0, CHROME_HELLO.length)!;
    const b = decodeTlsClientHello(CHROME_HELLO.slice(), 0, CHROME_HELLO.length)!;
    for (const k of ["cipherSuites", "extensions", "signatureAlgorithms", "supportedVersions", "supportedGroups", "ecPointFormats", "alpn"] as const) {
      expect(b[k]).toBe(a[k]);
      expect(Object.isFrozen(a[k])).toBe(true);
    }
    // The last cipher suite 0x0035 -> 0x0039: that list differs, the others are still shared.
    const other = CHROME_HELLO.slice();
    const at = other.indexOf(0x35, 5 + 4 + 2 + 32 + 33 + 2 + 30);
    other[at] = 0x39;
    const c = decodeTlsClientHello(other, 0, other.length)!;
    expect(c.cipherSuites.at(-1)).toBe(0x0039);
    expect(a.cipherSuites.at(-1)).toBe(0x0035);
    expect(c.cipherSuites.slice(0, -1)).toEqual(a.cipherSuites.slice(0, -1));
    expect(c.extensions).toBe(a.extensions);
  });

  test("a repeated signature_algorithms or ALPN extension adds to its list", () => {
    const hello = hex(`
      16 0301 0052  01 00004e  0303 ${"00".repeat(32)} 00  0002 1301  01 00
      0023                                # extensions: 35 bytes
      000d 0006 0004 0403 0804            # signature_algorithms
      000d 0004 0002 0401                 # again
      0010 0005 0003 02 6832              # ALPN h2
      0010 0004 0002 01 78                # again: "x"
    `);
    const h = decodeTlsClientHello(hello, 0, hello.length)!;
    expect(h.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0401]);
    expect(h.alpn).toEqual(["h2", "x"]);
    expect(h.extensions).toEqual([0x000d, 0x000d, 0x0010, 0x0010]);
  });

  test("works at an offset inside a larger buffer", () => {
    const framed = new Uint8Array(CHROME_HELLO.length + 54);
    framed.set(CHROME_HELLO, 54);
    expect(decodeTlsClientHello(framed, 54, CHROME_HELLO.length)?.sni).toBe("f.vimeocdn.com");
  });

  test("a hello cut inside its extensions keeps what is there; before them it is undefined", () => {
    const extStart = 5 + 4 + 2 + 32 + 33 + 34 + 2; // record, handshake header, version, random, sid, suites, compression
    expect(decodeTlsClientHello(CHROME_HELLO, 0, extStart - 1)).toBeUndefined();
    const cut = decodeTlsClientHello(CHROME_HELLO, 0, 124)!; // through GREASE and into server_name
    expect(cut.cipherSuites.length).toBe(16);
    expect(cut.extensions.slice(0, 2)).toEqual([0x4a4a, 0x0000]);
    const withSni = decodeTlsClientHello(CHROME_HELLO, 0, 141)!; // server_name ends at byte 141
    expect(withSni.sni).toBe("f.vimeocdn.com");
  });

  test("never throws when truncated at every length", () => {
    for (let n = 0; n <= CHROME_HELLO.length; n++) {
      expect(() => decodeTlsClientHello(CHROME_HELLO.subarray(0, n), 0, n)).not.toThrow();
      // A length beyond the buffer is clipped, not read past.
      expect(() => decodeTlsClientHello(CHROME_HELLO.subarray(0, n), 0, 100000)).not.toThrow();
    }
  });

  test("hostile lengths do not throw or loop", () => {
    const bad = CHROME_HELLO.slice();
    bad[3] = 0xff; bad[4] = 0xff; // record length 65535
    bad[6] = 0xff; bad[7] = 0xff; bad[8] = 0xff; // handshake length 16M
    expect(decodeTlsClientHello(bad, 0, bad.length)?.sni).toBe("f.vimeocdn.com");
    const sidHuge = CHROME_HELLO.slice();
    sidHuge[43] = 0xff; // session id length 255 runs into the cipher list
    expect(() => decodeTlsClientHello(sidHuge, 0, sidHuge.length)).not.toThrow();
    const oddCiphers = CHROME_HELLO.slice();
    oddCiphers[77] = 0x21; // odd cipher-suite length
    expect(decodeTlsClientHello(oddCiphers, 0, oddCiphers.length)).toBeUndefined();
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const fuzz = CHROME_HELLO.slice();
      for (let k = 0; k < 4; k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        fuzz[9 + (seed % (fuzz.length - 9))] = seed >>> 24;
      }
      expect(() => decodeTlsClientHello(fuzz, 0, fuzz.length)).not.toThrow();
    }
  });

  test("rejects what is not a ClientHello", () => {
    expect(decodeTlsClientHello(SERVER_HELLO, 0, SERVER_HELLO.length)).toBeUndefined();
    const http = new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n");
    expect(decodeTlsClientHello(http, 0, http.length)).toBeUndefined();
    expect(isTlsHandshakeRecord(http, 0, http.length)).toBe(false);
    expect(isTlsHandshakeRecord(CHROME_HELLO, 0, 5)).toBe(true);
  });
});

describe("decodeTlsServerHello", () => {
  test("reads the chosen cipher and TLS 1.3 from supported_versions", () => {
    expect(decodeTlsServerHello(SERVER_HELLO, 0, SERVER_HELLO.length)).toEqual({ version: 0x0303, cipherSuite: 0x1301, selectedVersion: 0x0304 });
  });
  test("never throws when truncated", () => {
    for (let n = 0; n <= SERVER_HELLO.length; n++) expect(() => decodeTlsServerHello(SERVER_HELLO, 0, n)).not.toThrow();
    expect(decodeTlsServerHello(SERVER_HELLO, 0, 40)).toBeUndefined();
    expect(decodeTlsServerHello(CHROME_HELLO, 0, CHROME_HELLO.length)).toBeUndefined();
  });
});
