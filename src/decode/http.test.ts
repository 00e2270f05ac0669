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

  test("basicUser rejects junk and keeps a user with no password", () => {
    expect(basicUser("!!!")).toBeUndefined();
    expect(basicUser(Buffer.from("bob:").toString("base64"))).toBe("bob");
    expect(basicUser(Buffer.from("nocolon").toString("base64"))).toBeUndefined();
  });
});
