import { describe, expect, test } from "bun:test";
import { basicUser, decodeHttp, MAX_HEADERS } from "./http.ts";

const text = (s: string) => new TextEncoder().encode(s);

const REQUEST = text(
  "GET /index.html?q=1 HTTP/1.1\r\n" +
    "Host: www.example.com\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n" +
    "Authorization: Basic YWxpY2U6czNjcjN0\r\n" + // alice:s3cr3t
    "Accept: */*\r\n\r\n",
);
const RESPONSE = text("HTTP/1.1 404 Not Found\r\nServer: nginx/1.18.0 (Ubuntu)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\n\r\n");

describe("decodeHttp", () => {
  test("request line, Host, User-Agent, Basic user without the password", () => {
    const m = decodeHttp(REQUEST, 0, REQUEST.length)!;
    expect(m).toEqual({
      isRequest: true,
      method: "GET",
      uri: "/index.html?q=1",
      version: "1.1",
      host: "www.example.com",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
      authorizationScheme: "Basic",
      basicUser: "alice",
    });
    expect(JSON.stringify(m)).not.toContain("s3cr3t");
  });

  test("status line, Server, Content-Type", () => {
    expect(decodeHttp(RESPONSE, 0, RESPONSE.length)).toEqual({ isRequest: false, status: 404, version: "1.1", server: "nginx/1.18.0 (Ubuntu)", contentType: "text/html; charset=utf-8" });
  });

  test("bearer tokens keep only the scheme", () => {
    const m = decodeHttp(text("POST /api HTTP/1.0\nAuthorization: Bearer abc.def.ghi\n\n"), 0, 55)!;
    expect(m.authorizationScheme).toBe("Bearer");
    expect(m.basicUser).toBeUndefined();
    expect(JSON.stringify(m)).not.toContain("abc.def");
  });

  test("a header cut by the segment end is dropped; earlier ones are kept", () => {
    const cut = REQUEST.length - 40; // inside the Authorization line
    const m = decodeHttp(REQUEST, 0, cut)!;
    expect(m.host).toBe("www.example.com");
    expect(m.authorizationScheme).toBeUndefined();
  });

  test("not HTTP", () => {
    for (const s of ["SSH-2.0-OpenSSH_9.6\r\n", "get / HTTP/1.1\r\n", "FOO / HTTP/1.1\r\n", "HTTP/1.1 20\r\n", "\x16\x03\x01\x02\x00\x01"]) {
      const b = text(s);
      expect(decodeHttp(b, 0, b.length)).toBeUndefined();
    }
  });

  test("truncation at every length and header floods never throw", () => {
    for (let n = 0; n <= REQUEST.length; n++) expect(() => decodeHttp(REQUEST, 0, n)).not.toThrow();
    const flood = text("GET / HTTP/1.1\r\n" + "X-A: 1\r\n".repeat(500) + "Host: late.example\r\n\r\n");
    expect(decodeHttp(flood, 0, flood.length)!.host).toBeUndefined(); // beyond MAX_HEADERS
    expect(MAX_HEADERS).toBe(64);
    expect(decodeHttp(REQUEST, 5, 100000)).toBeUndefined(); // offset mid-line, length past the buffer
  });

  test("the first line is read on its bytes exactly as the request and status line expressions read the decoded line", () => {
    const REQUEST_LINE = /^([A-Z][A-Z-]*) (\S+) HTTP\/(\d\.\d)$/;
    const STATUS_LINE = /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/;
    const METHODS = ["GET", "POST", "HEAD", "M-SEARCH", "NOTIFY", "PROPFIND", "SUBSCRIBE"];
    const latin1 = new TextDecoder("latin1");
    // Lines near the grammar: good ones, then random edits with the bytes that matter (white space
    // of every kind, CR, NBSP 0xa0, 0x85, digits, '-', '/', '.', lower case, letters of HTTP).
    const seeds = ["GET / HTTP/1.1", "M-SEARCH * HTTP/1.1", "HTTP/1.1 200 OK", "HTTP/1.0 404", "POST /a?b=c HTTP/1.0", "NOTIFY * HTTP/1.1"];
    const alphabet = [0x20, 0x09, 0x0b, 0x0c, 0x0d, 0xa0, 0x85, 0x31, 0x30, 0x2d, 0x2f, 0x2e, 0x61, 0x48, 0x54, 0x50, 0x47, 0x45, 0x5a];
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    let requests = 0, statuses = 0;
    for (let k = 0; k < 20000; k++) {
      const line = Array.from(new TextEncoder().encode(seeds[k % seeds.length]!));
      for (let edits = k < seeds.length ? 0 : 1 + rand(3); edits > 0; edits--) {
        const at = rand(line.length + 1), kind = rand(3), b = alphabet[rand(alphabet.length)]!;
        if (kind === 0) line.splice(at, 0, b);
        else if (kind === 1) line.splice(at, 1);
        else line[Math.min(at, line.length - 1)] = b;
      }
      if (rand(4) === 0) line.push(...Array.from({ length: 1 + rand(1100) }, () => 0x61)); // a long URI or reason
      const bytes = Uint8Array.from([...line, 0x0d, 0x0a, 0x0d, 0x0a]);
      const decoded = latin1.decode(Uint8Array.from(line));
      const req = REQUEST_LINE.exec(decoded), res = STATUS_LINE.exec(decoded);
      let want: unknown;
      if (req && req[1]!.length <= 16 && METHODS.includes(req[1]!)) want = { isRequest: true, method: req[1], uri: req[2]!.slice(0, 1024), version: req[3] };
      else if (res) want = { isRequest: false, status: Number(res[2]), version: res[1] };
      if (want !== undefined) (want as { isRequest: boolean }).isRequest ? requests++ : statuses++;
      expect(decodeHttp(bytes, 0, bytes.length)).toEqual(want as never);
    }
    // The edits keep enough lines valid for both kinds to be compared, not only refused ones.
    expect(requests).toBeGreaterThan(300);
    expect(statuses).toBeGreaterThan(300);
  });

  test("basicUser rejects junk and keeps a user with no password", () => {
    expect(basicUser("!!!")).toBeUndefined();
    expect(basicUser(Buffer.from("bob:").toString("base64"))).toBe("bob");
    expect(basicUser(Buffer.from("nocolon").toString("base64"))).toBeUndefined();
  });
});
