/**
 * Cleartext logins on FTP, POP3, IMAP, SMTP, Telnet and HTTP Basic, one segment at a time: who
 * logged in, whether a secret crossed the wire, and the server's verdict. The secret is never kept.
 * Per segment and stateless: a consumer joins the USER, PASS and verdict segments of one flow.
 */
import type { CleartextAuth } from "./types.ts";
import { decodeHttp } from "./http.ts";

const MAX_LINES = 16;
const MAX_SCAN = 4096;
const MAX_USER = 128;

const PORT_PROTOCOL: Record<number, CleartextAuth["protocol"]> = {
  21: "FTP",
  23: "Telnet",
  25: "SMTP",
  587: "SMTP",
  110: "POP3",
  143: "IMAP",
};

type Verdict = Pick<CleartextAuth, "user" | "secretSent" | "success">;
type LineRule = (line: string) => Verdict | undefined;

const cleanUser = (s: string | undefined): string | undefined => {
  if (s === undefined) return undefined;
  const u = s.replace(/^"(.*)"$/, "$1").slice(0, MAX_USER);
  return /^[\x20-\x7e]+$/.test(u) ? u : undefined;
};

function base64Text(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(s)) return undefined;
  return Buffer.from(s, "base64").toString("latin1");
}

const FTP: LineRule = (line) => {
  const m = /^USER (.+)$/i.exec(line);
  if (m) return { user: cleanUser(m[1]), secretSent: false };
  if (/^PASS( |$)/i.test(line)) return { secretSent: true };
  if (/^230[ -]/.test(line)) return { secretSent: false, success: true };
  if (/^530[ -]/.test(line)) return { secretSent: false, success: false };
  return undefined;
};

const POP3: LineRule = (line) => {
  let m = /^USER (.+)$/i.exec(line);
  if (m) return { user: cleanUser(m[1]), secretSent: false };
  if (/^PASS( |$)/i.test(line)) return { secretSent: true };
  m = /^APOP (\S+) /i.exec(line); // a digest, but still a login
  if (m) return { user: cleanUser(m[1]), secretSent: true };
  // "+OK" also greets; only replies that speak of the login count as a verdict.
  if (/^\+OK.*(logged in|maildrop|authenticat|mailbox|messages?)/i.test(line)) return { secretSent: false, success: true };
  if (/^-ERR.*(auth|password|login|invalid|denied|incorrect)/i.test(line)) return { secretSent: false, success: false };
  return undefined;
};

const IMAP: LineRule = (line) => {
  const m = /^\S+ LOGIN ("[^"]*"|\S+) \S/i.exec(line);
  if (m) return { user: cleanUser(m[1]), secretSent: true };
  if (/^\S+ AUTHENTICATE PLAIN \S+/i.test(line)) return { user: plainUser(line.split(/\s+/)[3]), secretSent: true };
  if (/^[^*\s]\S* OK .*(LOGIN|AUTHENTICATE|logged in|authenticated)/i.test(line)) return { secretSent: false, success: true };
  if (/^[^*\s]\S* NO .*(LOGIN|AUTHENTICAT|password|credentials)/i.test(line)) return { secretSent: false, success: false };
  return undefined;
};

/** AUTH PLAIN: base64("authzid\0authcid\0password"); only authcid is kept. */
function plainUser(b64: string | undefined): string | undefined {
  const text = b64 === undefined ? undefined : base64Text(b64);
  const parts = text?.split("\0");
  return parts && parts.length === 3 ? cleanUser(parts[1]) : undefined;
}

const SMTP: LineRule = (line) => {
  let m = /^AUTH PLAIN (\S+)$/i.exec(line);
  if (m) return { user: plainUser(m[1]), secretSent: true };
  m = /^AUTH LOGIN(?: (\S+))?$/i.exec(line);
  if (m) return { user: cleanUser(m[1] && base64Text(m[1])), secretSent: false };
  if (/^235[ -]/.test(line)) return { secretSent: false, success: true };
  if (/^535[ -]/.test(line)) return { secretSent: false, success: false };
  return undefined;
};

const TELNET: LineRule = (line) => {
  if (/(^|\s)(login|username|user name):\s*$/i.test(line)) return { secretSent: false };
  if (/(^|\s)password:\s*$/i.test(line)) return { secretSent: true };
  if (/login incorrect|authentication failed/i.test(line)) return { secretSent: false, success: false };
  return undefined;
};

const RULES: Record<Exclude<CleartextAuth["protocol"], "HTTP">, LineRule> = { FTP, POP3, IMAP, SMTP, Telnet: TELNET };

function textLines(bytes: Uint8Array, offset: number, length: number): string[] {
  const end = Math.min(offset + length, bytes.length, offset + MAX_SCAN);
  if (offset < 0 || end <= offset) return [];
  let text = "";
  for (let i = offset; i < end; i++) {
    const c = bytes[i];
    if (c === 0xff) { // Telnet IAC: skip the command and its option byte
      i += bytes[i + 1] >= 0xfb && bytes[i + 1] <= 0xfe ? 2 : 1;
      continue;
    }
    text += String.fromCharCode(c);
  }
  return text.split(/\r?\n|\r|\0/).slice(0, MAX_LINES).map((l) => l.trimEnd());
}

export function decodeCleartextAuth(bytes: Uint8Array, offset: number, length: number, port: number): CleartextAuth | undefined {
  const protocol = PORT_PROTOCOL[port];
  if (!protocol) {
    const http = decodeHttp(bytes, offset, length);
    if (!http?.authorizationScheme || http.authorizationScheme.toLowerCase() !== "basic") return undefined;
    return { protocol: "HTTP", user: http.basicUser, secretSent: true };
  }
  const rule = RULES[protocol as keyof typeof RULES];
  let found: CleartextAuth | undefined;
  for (const line of textLines(bytes, offset, length)) {
    const v = rule(line);
    if (!v) continue;
    found ??= { protocol, secretSent: false };
    if (v.user !== undefined) found.user = v.user;
    if (v.secretSent) found.secretSent = true;
    if (v.success !== undefined) found.success = v.success;
  }
  return found;
}
