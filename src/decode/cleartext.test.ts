import { describe, expect, test } from "bun:test";
import { decodeCleartextAuth } from "./cleartext.ts";

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const auth = (s: string, port: number) => decodeCleartextAuth(text(s), 0, s.length, port);
const b64 = (s: string) => Buffer.from(s, "latin1").toString("base64");

describe("decodeCleartextAuth", () => {
  test("FTP: USER, PASS (secret not kept), 230 / 530", () => {
    expect(auth("USER anonymous\r\n", 21)).toEqual({ protocol: "FTP", user: "anonymous", secretSent: false });
    const pass = auth("PASS hunter2\r\n", 21)!;
    expect(pass).toEqual({ protocol: "FTP", secretSent: true });
    expect(JSON.stringify(pass)).not.toContain("hunter2");
    expect(auth("230 Login successful.\r\n", 21)?.success).toBe(true);
    expect(auth("530 Login incorrect.\r\n", 21)?.success).toBe(false);
    expect(auth("220 (vsFTPd 3.0.5)\r\n", 21)).toBeUndefined();
  });
  test("POP3: USER/PASS, +OK after login, -ERR; the greeting is no verdict", () => {
    expect(auth("USER bob\r\nPASS x\r\n", 110)).toEqual({ protocol: "POP3", user: "bob", secretSent: true });
    expect(auth("+OK Logged in.\r\n", 110)?.success).toBe(true);
    expect(auth("-ERR [AUTH] Authentication failed.\r\n", 110)?.success).toBe(false);
    expect(auth("+OK Dovecot ready.\r\n", 110)).toBeUndefined();
  });
  test("IMAP: LOGIN with quoted user, tagged OK / NO", () => {
    const m = auth('a001 LOGIN "carol" "pa ss"\r\n', 143)!;
    expect(m).toEqual({ protocol: "IMAP", user: "carol", secretSent: true });
    expect(JSON.stringify(m)).not.toContain("pa ss");
    expect(auth("a001 OK [CAPABILITY IMAP4rev1] Logged in\r\n", 143)?.success).toBe(true);
    expect(auth("a001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", 143)?.success).toBe(false);
    expect(auth("* OK [CAPABILITY IMAP4rev1 LOGIN] Dovecot ready.\r\n", 143)).toBeUndefined();
  });
  test("SMTP: AUTH PLAIN keeps authcid only, AUTH LOGIN with initial user, 235 / 535", () => {
    const plain = auth(`AUTH PLAIN ${b64("\0dave\0secretpw")}\r\n`, 587)!;
    expect(plain).toEqual({ protocol: "SMTP", user: "dave", secretSent: true });
    expect(JSON.stringify(plain)).not.toContain("secretpw");
    expect(auth(`AUTH LOGIN ${b64("erin")}\r\n`, 25)).toEqual({ protocol: "SMTP", user: "erin", secretSent: false });
    expect(auth("235 2.7.0 Authentication successful\r\n", 25)?.success).toBe(true);
    expect(auth("535 5.7.8 Error: authentication failed\r\n", 25)?.success).toBe(false);
  });
  test("Telnet: prompts (after IAC negotiation) are flagged", () => {
    expect(auth("\xff\xfd\x18\xff\xfd\x20Ubuntu 22.04 LTS\r\nhost login: ", 23)).toEqual({ protocol: "Telnet", secretSent: false });
    expect(auth("Password: ", 23)).toEqual({ protocol: "Telnet", secretSent: true });
    expect(auth("\r\nLogin incorrect\r\n", 23)?.success).toBe(false);
  });
  test("HTTP Basic on any other port", () => {
    const r = auth(`GET / HTTP/1.1\r\nHost: cam.local\r\nAuthorization: Basic ${b64("admin:12345")}\r\n\r\n`, 8080)!;
    expect(r).toEqual({ protocol: "HTTP", user: "admin", secretSent: true });
    expect(JSON.stringify(r)).not.toContain("12345");
    expect(auth("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 80)).toBeUndefined();
  });
  test("truncation and junk never throw", () => {
    const s = "USER alice\r\nPASS pw\r\n";
    for (const port of [21, 23, 25, 110, 143, 80]) {
      for (let i = 0; i <= s.length; i++) expect(() => decodeCleartextAuth(text(s), 0, i, port)).not.toThrow();
      expect(() => decodeCleartextAuth(text("\xff\xff\xff"), 0, 100, port)).not.toThrow();
    }
    expect(decodeCleartextAuth(text("USER \x01\x02\r\n"), 0, 9, 21)?.user).toBeUndefined();
  });
});
