import { describe, expect, test } from "bun:test";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpsWanted, resolveTls, TlsError } from "./certificate.ts";
import { makeSelfSigned } from "./self-signed.ts";

const dir = mkdtempSync(join(tmpdir(), "ni-tls-setup-"));
const db = join(dir, "ni.db");

describe("HTTPS setting", () => {
  test("auto: HTTPS on every address but loopback; on and off as said", () => {
    expect(httpsWanted("auto", "0.0.0.0")).toBe(true);
    expect(httpsWanted("auto", "192.168.1.20")).toBe(true);
    expect(httpsWanted("auto", "127.0.0.1")).toBe(false);
    expect(httpsWanted("auto", "::1")).toBe(false);
    expect(httpsWanted("auto", "localhost")).toBe(false);
    expect(httpsWanted("on", "127.0.0.1")).toBe(true);
    expect(httpsWanted("off", "0.0.0.0")).toBe(false);
    expect(resolveTls({ mode: "off", host: "0.0.0.0", databasePath: db })).toBeNull();
  });

  test("a self-signed certificate is made on first start, kept beside the database (key 0600) and reused", () => {
    const first = resolveTls({ mode: "auto", host: "0.0.0.0", databasePath: db })!;
    expect(first.source).toBe("generated");
    expect(first.certFile).toBe(`${db}.tls.crt`);
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    const again = resolveTls({ mode: "on", host: "127.0.0.1", databasePath: db })!;
    expect(again.source).toBe("stored");
    expect(again.fingerprint).toBe(first.fingerprint);
    // A month before it expires it is made anew.
    const later = resolveTls({ mode: "on", host: "0.0.0.0", databasePath: db, now: new Date(Date.now() + 3640 * 24 * 3600_000) })!;
    expect(later.source).toBe("generated");
    expect(later.fingerprint).not.toBe(first.fingerprint);
  });

  test("TLS_CERT and TLS_KEY: used as given; half a pair or a bad file is an error naming the setting", () => {
    const c = makeSelfSigned({ commonName: "box", names: [] });
    writeFileSync(join(dir, "c.pem"), c.certPem);
    writeFileSync(join(dir, "k.pem"), c.keyPem);
    writeFileSync(join(dir, "junk.pem"), "hello\n");
    const given = resolveTls({ mode: "auto", host: "0.0.0.0", certFile: join(dir, "c.pem"), keyFile: join(dir, "k.pem"), databasePath: db })!;
    expect(given).toMatchObject({ source: "files", fingerprint: c.fingerprint });
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TlsError);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(err(() => resolveTls({ mode: "on", host: "x", certFile: join(dir, "c.pem"), databasePath: db }))).toStartWith("TLS_CERT is set but TLS_KEY is not");
    expect(err(() => resolveTls({ mode: "on", host: "x", keyFile: join(dir, "k.pem"), databasePath: db }))).toStartWith("TLS_KEY is set but TLS_CERT is not");
    expect(err(() => resolveTls({ mode: "on", host: "x", certFile: join(dir, "none.pem"), keyFile: join(dir, "k.pem"), databasePath: db }))).toStartWith(`TLS_CERT: cannot read ${join(dir, "none.pem")}: ENOENT`);
    expect(err(() => resolveTls({ mode: "on", host: "x", certFile: join(dir, "junk.pem"), keyFile: join(dir, "k.pem"), databasePath: db }))).toContain("TLS_CERT");
    expect(err(() => resolveTls({ mode: "on", host: "x", certFile: join(dir, "c.pem"), keyFile: join(dir, "junk.pem"), databasePath: db }))).toStartWith("TLS_KEY: no PEM private key");
  });
});
