import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { clientInitialKeys, decodeQuicInitial, decryptQuicInitial, initialCryptoData, isKnownQuicLongHeader, QUIC_DRAFT29, QUIC_V1, QUIC_V2 } from "./quic.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/#[^\n]*/g, "").replace(/\s+/g, ""), "hex"));
const h = (b: Uint8Array) => Buffer.from(b).toString("hex");

// RFC 9001 Appendix A.2: the protected client Initial (1200 bytes).
const RFC9001_HEADER = `
  c0                 # long header, Initial, protected pn length bits
  00000001           # version 1
  08 8394c8f03e515708 # DCID
  00                 # SCID length 0
  00                 # token length 0
  449e               # length 1182 (varint)
`;
const RFC9001_INITIAL = hex(RFC9001_HEADER +
  "7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a6" +
  "43a8d2262cad67500cadb8e7378c8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711b39343fa028cea7f7fb5ff89eac2" +
  "308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c2084dce25ff9b06cde535d0f920a2db1bf362c2" +
  "3e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3fdb41ed15fb6a8e5eba0" +
  "fc3dd60bc8e30c5c4287e53805db059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7961b" +
  "7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556be52afe3f565636ad1b17d508b73d8743eeb" +
  "524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663ac69890f4157015853d91e923037c227a33cd" +
  "d5ec281ca3f79c44546b9d90ca00f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf330f" +
  "2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd14de71e6c418559302f939b0e1abd576f279" +
  "c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047" +
  "472fb36857fe843b19f5984009ddc324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73203a4a13e96f5432ec0fd4a1ee65accdd5e3" +
  "904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450efc60ac47683d7b8d0f811365565fd98c4c8e" +
  "b936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e72404790a2181014f3b94a4e97d117b438130368cc" +
  "39dbb2d198065ae3986547926cd2162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499dbd49" +
  "adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e8f2e6ff5800175f113253d8fa9ca8885c2f5" +
  "52e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6" +
  "b6279ab3ff3afb64491c85194aab760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d392b905ddf3d1" +
  "f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd46840647e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c" +
  "8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934");
const DCID = hex("8394c8f03e515708");

describe("QUIC Initial keys", () => {
  test("v1 client keys match RFC 9001 A.1", () => {
    const k = clientInitialKeys(QUIC_V1, DCID)!;
    expect(h(k.key)).toBe("1f369613dd76d5467730efcbe3b1a22d");
    expect(h(k.iv)).toBe("fa044b2f42a3fd3b46fb255c");
    expect(h(k.hp)).toBe("9f50449e04a0e810283a1e9933adedd2");
  });
  test("v2 client keys match RFC 9369 A.1", () => {
    const k = clientInitialKeys(QUIC_V2, DCID)!;
    expect(h(k.key)).toBe("8b1a0bc121284290a29e0971b5cd045d");
    expect(h(k.iv)).toBe("91f73e2351d8fa91660e909f");
    expect(h(k.hp)).toBe("45b95e15235d6f45a6b19cbcb0294ba9");
  });
  test("unknown versions have no keys", () => {
    expect(clientInitialKeys(0x51303530, DCID)).toBeUndefined(); // gQUIC Q050
    expect(clientInitialKeys(QUIC_DRAFT29, DCID)).toBeDefined();
  });
});

describe("decodeQuicInitial", () => {
  test("decrypts the RFC 9001 client Initial and reads its ClientHello", () => {
    const hello = decodeQuicInitial(RFC9001_INITIAL, 0, RFC9001_INITIAL.length)!;
    expect(hello.sni).toBe("example.com");
    expect(hello.alpn).toEqual(["alpn"]);
    expect(hello.cipherSuites).toEqual([0x1301, 0x1302]);
    expect(hello.supportedVersions).toEqual([0x0304]);
    // server_name, renegotiation_info, groups, ALPN, status_request, key_share, versions, sig algs, psk modes, record_size_limit, quic params
    expect(hello.extensions).toEqual([0x0000, 0xff01, 0x000a, 0x0010, 0x0005, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c, 0x0039]);
    expect(hello.ja4.startsWith("q13d0211an_")).toBe(true);
  });

  test("the frames start with the RFC's CRYPTO frame and the capture buffer is not modified", () => {
    const before = h(RFC9001_INITIAL);
    const frames = decryptQuicInitial(RFC9001_INITIAL, 0, RFC9001_INITIAL.length)!;
    expect(h(frames.subarray(0, 10))).toBe("060040f1010000ed0303"); // CRYPTO offset 0 len 241, ClientHello
    expect(h(RFC9001_INITIAL)).toBe(before);
  });

  test("a flipped ciphertext byte fails authentication", () => {
    const bad = RFC9001_INITIAL.slice();
    bad[600] ^= 1;
    expect(decodeQuicInitial(bad, 0, bad.length)).toBeUndefined();
  });

  test("never throws when truncated or given hostile lengths", () => {
    for (let n = 0; n <= RFC9001_INITIAL.length; n += 7) {
      expect(() => decodeQuicInitial(RFC9001_INITIAL.subarray(0, n), 0, n)).not.toThrow();
    }
    expect(decodeQuicInitial(RFC9001_INITIAL, 0, 1199)).toBeUndefined();
    const bigCid = RFC9001_INITIAL.slice();
    bigCid[5] = 0xff; // DCID length 255 (> 20)
    expect(decodeQuicInitial(bigCid, 0, bigCid.length)).toBeUndefined();
    const bigToken = RFC9001_INITIAL.slice();
    bigToken[15] = 0xbf; // token length varint 8 bytes, huge
    expect(() => decodeQuicInitial(bigToken, 0, bigToken.length)).not.toThrow();
  });

  test("recognises long headers of known versions only", () => {
    expect(isKnownQuicLongHeader(RFC9001_INITIAL, 0, 5)).toBe(true);
    expect(isKnownQuicLongHeader(hex("c051303530"), 0, 5)).toBe(false);
    expect(isKnownQuicLongHeader(hex("4000000001"), 0, 5)).toBe(false); // short header
  });
});

describe("initialCryptoData", () => {
  test("reassembles CRYPTO frames given out of order between PADDING, PING and ACK", () => {
    const frames = hex(`
      00 00 01                 # PADDING, PADDING, PING
      06 03 03 646566          # CRYPTO offset 3 len 3 "def"
      02 05 00 00 00           # ACK largest 5, delay 0, 0 ranges, first range 0
      06 00 03 616263          # CRYPTO offset 0 len 3 "abc"
      00 00
    `);
    expect(new TextDecoder().decode(initialCryptoData(frames)!)).toBe("abcdef");
  });
  test("a gap ends the contiguous data; no data from 0 is undefined", () => {
    expect(new TextDecoder().decode(initialCryptoData(hex("060003616263 060a01ff"))!)).toBe("abc");
    expect(initialCryptoData(hex("06050161"))).toBeUndefined();
    expect(initialCryptoData(hex("0600ff"))).toBeUndefined(); // length past the end
  });
});

/** Builds a protected client Initial (2-byte packet number) the way a QUIC client does. */
function sealInitial(version: number, dcid: Uint8Array, pn: number, frames: Uint8Array): Uint8Array {
  const k = clientInitialKeys(version, dcid)!;
  const type = version === QUIC_V2 ? 1 : 0;
  const payloadLen = 2 + frames.length + 16;
  const header = Uint8Array.from([0xc0 | (type << 4) | 0x01, ...Buffer.from(version.toString(16).padStart(8, "0"), "hex"), dcid.length, ...dcid, 0, 0, 0x40 | (payloadLen >> 8), payloadLen & 0xff, pn >> 8, pn & 0xff]);
  const nonce = Buffer.from(k.iv);
  nonce[10] ^= pn >> 8;
  nonce[11] ^= pn & 0xff;
  const gcm = createCipheriv("aes-128-gcm", k.key, nonce);
  gcm.setAAD(header);
  const sealed = Buffer.concat([header, gcm.update(frames), gcm.final(), gcm.getAuthTag()]);
  const pnAt = header.length - 2;
  const mask = createCipheriv("aes-128-ecb", k.hp, null).update(sealed.subarray(pnAt + 4, pnAt + 20));
  sealed[0] ^= mask[0] & 0x0f;
  sealed[pnAt] ^= mask[1];
  sealed[pnAt + 1] ^= mask[2];
  return new Uint8Array(sealed);
}

const cryptoFrame = (off: number, data: Uint8Array) => Uint8Array.from([0x06, 0x40 | (off >> 8), off & 0xff, 0x40 | (data.length >> 8), data.length & 0xff, ...data]);

describe("sealed Initials of every version, split and coalesced", () => {
  const rfcHello = initialCryptoData(decryptQuicInitial(RFC9001_INITIAL, 0, RFC9001_INITIAL.length)!)!;
  const reference = decodeQuicInitial(RFC9001_INITIAL, 0, RFC9001_INITIAL.length)!;

  for (const [name, version] of [["v1", QUIC_V1], ["v2", QUIC_V2], ["draft-29", QUIC_DRAFT29]] as const) {
    test(`${name}: one Initial`, () => {
      const pkt = sealInitial(version, DCID, 0, Uint8Array.from([...cryptoFrame(0, rfcHello), ...new Array(900).fill(0)]));
      expect(decodeQuicInitial(pkt, 0, pkt.length)).toEqual(reference);
    });
  }

  test("a hello split over two coalesced Initials in one datagram, second half first", () => {
    const cut = 100;
    const a = sealInitial(QUIC_V1, DCID, 0, Uint8Array.from([...cryptoFrame(cut, rfcHello.subarray(cut)), 0, 0, 0]));
    const b = sealInitial(QUIC_V1, DCID, 1, Uint8Array.from([...cryptoFrame(0, rfcHello.subarray(0, cut)), ...new Array(30).fill(0)]));
    const datagram = Uint8Array.from([...a, ...b, ...new Array(200).fill(0)]);
    expect(decodeQuicInitial(datagram, 0, datagram.length)).toEqual(reference);
    // The first packet alone has no data from offset 0.
    expect(decodeQuicInitial(a, 0, a.length)).toBeUndefined();
  });

  test("a v2 packet sealed with v1 keys is rejected", () => {
    const pkt = sealInitial(QUIC_V1, DCID, 0, Uint8Array.from([...cryptoFrame(0, rfcHello), ...new Array(900).fill(0)]));
    pkt[1] = 0x6b; pkt[2] = 0x33; pkt[3] = 0x43; pkt[4] = 0xcf; // relabel as v2 (its Initial type is 1, not 0)
    pkt[0] = (pkt[0] & 0xcf) | 0x10;
    expect(decodeQuicInitial(pkt, 0, pkt.length)).toBeUndefined();
  });
});
