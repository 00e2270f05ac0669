import { describe, expect, test } from "bun:test";
import { decodeSshBanner } from "./ssh.ts";

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("decodeSshBanner", () => {
  test("the identification line without CR LF", () => {
    const b = text("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n");
    expect(decodeSshBanner(b, 0, b.length)).toEqual({ banner: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6" });
  });
  test("lines before the banner are skipped (RFC 4253 4.2), binary after it ignored", () => {
    const b = text("Welcome\r\nAuthorized use only\r\nSSH-2.0-dropbear_2022.83\r\n\x00\x00\x01\x2c\x0a\x14");
    expect(decodeSshBanner(b, 0, b.length)?.banner).toBe("SSH-2.0-dropbear_2022.83");
  });
  test("not SSH, non-printable, truncation, overlong", () => {
    const h = text("HTTP/1.1 200 OK\r\n");
    expect(decodeSshBanner(h, 0, h.length)).toBeUndefined();
    expect(decodeSshBanner(text("SSH-2.0-\x01bad\r\n"), 0, 14)).toBeUndefined();
    const b = text("SSH-2.0-Go\r\n");
    for (let i = 0; i <= b.length; i++) expect(() => decodeSshBanner(b, 0, i)).not.toThrow();
    expect(decodeSshBanner(b, 0, 3)).toBeUndefined();
    const long = text("SSH-2.0-" + "x".repeat(1000) + "\r\n");
    expect(decodeSshBanner(long, 0, long.length)?.banner.length).toBe(255);
  });
});
