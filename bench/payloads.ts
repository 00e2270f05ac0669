/**
 * Application payloads for the benchmark capture: real DNS, HTTP and TLS ClientHello bytes, so the
 * engine's app-layer decoders do the work they do on a real network.
 */
const text = new TextEncoder();

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) out.push(label.length, ...text.encode(label));
  out.push(0);
  return out;
}

export function dnsQuery(id: number, name: string, v6: boolean): Uint8Array {
  return new Uint8Array([
    id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // id, RD, 1 question
    ...dnsName(name), 0, v6 ? 28 : 1, 0, 1, // QTYPE A/AAAA, QCLASS IN
  ]);
}

export function dnsResponse(id: number, name: string, v6: boolean): Uint8Array {
  const rdata = v6 ? [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, id & 0xff] : [23, 1, id & 0xff, 9];
  return new Uint8Array([
    id >> 8, id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // response, RD RA, 1 question, 1 answer
    ...dnsName(name), 0, v6 ? 28 : 1, 0, 1,
    0xc0, 12, 0, v6 ? 28 : 1, 0, 1, 0, 0, 0x0e, 0x10, 0, rdata.length, ...rdata, // answer, TTL 3600
  ]);
}

export function httpRequest(host: string, n: number): Uint8Array {
  return text.encode(
    `GET /page/${n}.html HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n` +
      `Accept: text/html\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n`,
  );
}

/** An HTTP response head padded with body bytes to `size`. */
export function httpResponseHead(size: number): Uint8Array {
  const head = text.encode(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 52000\r\n\r\n`);
  const out = new Uint8Array(Math.max(size, head.length)).fill(0x3c);
  out.set(head);
  return out;
}

const u16 = (n: number) => [n >> 8, n & 0xff];
const withLen16 = (b: number[]) => [...u16(b.length), ...b];

/** A TLS 1.3 ClientHello with SNI, ALPN, supported_versions, groups and signature algorithms. */
export function tlsClientHello(host: string): Uint8Array {
  const sni = [...text.encode(host)];
  const ext = (type: number, body: number[]) => [...u16(type), ...withLen16(body)];
  const extensions = [
    ...ext(0x0000, withLen16([0, ...withLen16(sni)])), // server_name
    ...ext(0x000a, withLen16([0x00, 0x1d, 0x00, 0x17, 0x00, 0x18])), // supported_groups
    ...ext(0x000b, [1, 0]), // ec_point_formats
    ...ext(0x000d, withLen16([0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03])), // signature_algorithms
    ...ext(0x0010, withLen16([2, ...text.encode("h2"), 8, ...text.encode("http/1.1")])), // ALPN
    ...ext(0x002b, [4, 0x03, 0x04, 0x03, 0x03]), // supported_versions
    ...ext(0x0033, withLen16([0x00, 0x1d, ...withLen16(new Array(32).fill(7))])), // key_share x25519
  ];
  const suites = [0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9];
  const body = [
    0x03, 0x03, ...new Array(32).fill(0x42), // legacy version, random
    32, ...new Array(32).fill(0x24), // session id
    ...withLen16(suites), 1, 0, // compression: null
    ...withLen16(extensions),
  ];
  const handshake = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  return new Uint8Array([0x16, 0x03, 0x01, ...withLen16(handshake)]);
}
