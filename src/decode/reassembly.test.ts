import { describe, expect, test } from "bun:test";
import { HttpHeadAssembler, QuicHelloAssembler, TlsHelloAssembler } from "./reassembly.ts";
import { decodeTlsClientHello } from "./tls.ts";
import { clientInitialKeys, decodeQuicInitial, QUIC_V1 } from "./quic.ts";
import { createCipheriv } from "node:crypto";

/** A synthetic ClientHello record with a big key share, so that it needs two segments. */
function bigHello(): Uint8Array {
  const ext = (type: number, body: number[]) => [type >> 8, type & 0xff, body.length >> 8, body.length & 0xff, ...body];
  const name = [...Buffer.from("late.example.org")];
  const keyShare = new Array(1200).fill(0x42);
  const exts = [
    ...ext(0x0033, [(keyShare.length + 4) >> 8, (keyShare.length + 4) & 0xff, 0x11, 0xec, keyShare.length >> 8, keyShare.length & 0xff, ...keyShare]),
    ...ext(0x002b, [2, 0x03, 0x04]),
    ...ext(0x0000, [0, name.length + 3, 0, 0, name.length, ...name]), // server_name after the key share
  ];
  const body = [0x03, 0x03, ...new Array(32).fill(1), 0, 0, 2, 0x13, 0x01, 1, 0, exts.length >> 8, exts.length & 0xff, ...exts];
  const hs = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  return Uint8Array.from([0x16, 3, 1, hs.length >> 8, hs.length & 0xff, ...hs]);
}

describe("TlsHelloAssembler", () => {
  test("joins a hello cut into segments; the first alone lacks the SNI", () => {
    const rec = bigHello();
    expect(decodeTlsClientHello(rec, 0, 1000)?.sni).toBeUndefined();
    const a = new TlsHelloAssembler();
    expect(a.push(rec, 0, 1000)).toBeUndefined();
    const hello = a.push(rec, 1000, rec.length - 1000)!;
    expect(hello.sni).toBe("late.example.org");
    expect(hello.ja4.startsWith("t13d0103")).toBe(true);
    expect(a.done).toBe(true);
    expect(a.push(rec, 0, rec.length)).toBeUndefined();
  });
  test("gives up on non-TLS and after too many parts", () => {
    const a = new TlsHelloAssembler();
    expect(a.push(new TextEncoder().encode("GET / HTTP/1.1\r\n"), 0, 16)).toBeUndefined();
    expect(a.done).toBe(true);
    const rec = bigHello();
    const b = new TlsHelloAssembler();
    for (let i = 0; i < 3; i++) expect(b.push(rec, i * 10, 10)).toBeUndefined();
    expect(b.push(rec, 30, 10)?.sni).toBeUndefined(); // fourth part: partial result, cipher list only
    expect(b.done).toBe(true);
  });
});

describe("QuicHelloAssembler", () => {
  const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  function seal(pn: number, frames: number[]): Uint8Array {
    const k = clientInitialKeys(QUIC_V1, dcid)!;
    const payloadLen = 2 + frames.length + 16;
    const header = Uint8Array.from([0xc1, 0, 0, 0, 1, 8, ...dcid, 0, 0, 0x40 | (payloadLen >> 8), payloadLen & 0xff, 0, pn]);
    const nonce = Buffer.from(k.iv);
    nonce[11] ^= pn;
    const gcm = createCipheriv("aes-128-gcm", k.key, nonce);
    gcm.setAAD(header);
    const out = Buffer.concat([header, gcm.update(Uint8Array.from(frames)), gcm.final(), gcm.getAuthTag()]);
    const pnAt = header.length - 2;
    const mask = createCipheriv("aes-128-ecb", k.hp, null).update(out.subarray(pnAt + 4, pnAt + 20));
    out[0] ^= mask[0] & 0x0f;
    out[pnAt] ^= mask[1];
    out[pnAt + 1] ^= mask[2];
    return new Uint8Array(out);
  }
  const crypto = (off: number, d: Uint8Array) => [0x06, 0x40 | (off >> 8), off & 0xff, 0x40 | (d.length >> 8), d.length & 0xff, ...d];

  test("joins a hello spread over two datagrams", () => {
    const hs = bigHello().subarray(5); // the handshake message without the record header
    const cut = 1000;
    const d1 = seal(0, [...crypto(0, hs.subarray(0, cut)), ...new Array(100).fill(0)]);
    const d2 = seal(1, [...crypto(cut, hs.subarray(cut)), ...new Array(900).fill(0)]);
    expect(decodeQuicInitial(d1, 0, d1.length)?.sni).toBeUndefined();
    const a = new QuicHelloAssembler();
    expect(a.push(d1, 0, d1.length)).toBeUndefined();
    const hello = a.push(d2, 0, d2.length)!;
    expect(hello.sni).toBe("late.example.org");
    expect(hello.ja4.startsWith("q13d0103")).toBe(true);
  });
  test("ignores datagrams that are not client Initials", () => {
    const a = new QuicHelloAssembler();
    expect(a.push(Uint8Array.of(0x40, 1, 2, 3), 0, 4)).toBeUndefined();
    expect(a.done).toBe(false);
  });
});

describe("HttpHeadAssembler", () => {
  const head = new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: h.example\r\nUser-Agent: Mozilla/5.0 (Linux; Android 14) Chrome/120\r\n\r\n");
  test("joins a head whose User-Agent is cut by the first segment", () => {
    const cut = 50; // inside the User-Agent line
    const a = new HttpHeadAssembler();
    expect(a.push(head, 0, cut)).toBeUndefined();
    const m = a.push(head, cut, head.length - cut)!;
    expect(m.userAgent).toBe("Mozilla/5.0 (Linux; Android 14) Chrome/120");
    expect(m.host).toBe("h.example");
  });
  test("a blank line split between segments ends the head", () => {
    const a = new HttpHeadAssembler();
    expect(a.push(head, 0, head.length - 1)).toBeUndefined();
    expect(a.push(head, head.length - 1, 1)?.method).toBe("GET");
  });
  test("a complete head in one segment returns at once; non-HTTP stops", () => {
    expect(new HttpHeadAssembler().push(head, 0, head.length)?.uri).toBe("/a");
    const b = new HttpHeadAssembler();
    expect(b.push(new TextEncoder().encode("SSH-2.0-x\r\n"), 0, 11)).toBeUndefined();
    expect(b.done).toBe(true);
  });
});
