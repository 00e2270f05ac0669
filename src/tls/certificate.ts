/**
 * Which certificate `serve` uses for HTTPS: TLS_CERT + TLS_KEY when set, else the self-signed one
 * kept beside the database (`<db>.tls.crt`, `<db>.tls.key` mode 0600), made on first start (and
 * again when it has expired). HTTPS=auto serves HTTPS on every address but loopback.
 */
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { fingerprintOf, makeSelfSigned } from "./self-signed.ts";

export const HTTPS_MODES = ["auto", "on", "off"] as const;
export type HttpsMode = (typeof HTTPS_MODES)[number];

export interface TlsSetup {
  cert: string;
  key: string;
  /** SHA-256 of the certificate (AB:CD:...), to compare with what a browser or curl shows. */
  fingerprint: string;
  source: "files" | "stored" | "generated";
  certFile: string;
  keyFile: string;
}

export class TlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsError";
  }
}

export const tlsFilesFor = (databasePath: string) => ({ certFile: `${databasePath}.tls.crt`, keyFile: `${databasePath}.tls.key` });

/** Loopback only: nothing crosses the network, so auto stays plain HTTP there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}

export function httpsWanted(mode: HttpsMode, host: string): boolean {
  return mode === "on" || (mode === "auto" && !isLoopbackHost(host));
}

function pemToDer(pem: string): Uint8Array | null {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  return m ? new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")) : null;
}

function readPem(file: string, setting: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TlsError(`${setting}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Parses and checks a certificate PEM; returns its fingerprint and expiry. */
function inspect(pem: string, where: string): { fingerprint: string; validTo: Date } {
  const der = pemToDer(pem);
  if (!der) throw new TlsError(`${where}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`);
  try {
    const x = new X509Certificate(pem);
    return { fingerprint: fingerprintOf(der), validTo: new Date(x.validTo) };
  } catch (e) {
    throw new TlsError(`${where}: not a valid certificate: ${(e as Error).message}`);
  }
}

/** The names a self-signed certificate covers: host name, localhost, loopback and this machine's addresses. */
export function localNames(): string[] {
  const out = ["localhost", "127.0.0.1", "::1"];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && !a.address.includes("%")) out.push(a.address);
  }
  return out;
}

export interface TlsOptions {
  mode: HttpsMode;
  host: string;
  certFile?: string;
  keyFile?: string;
  databasePath: string;
  now?: Date;
}

/** null: plain HTTP. Throws TlsError naming the setting when the given files are unusable. */
export function resolveTls(o: TlsOptions): TlsSetup | null {
  if (!httpsWanted(o.mode, o.host)) return null;
  if (o.certFile || o.keyFile) {
    if (!o.certFile) throw new TlsError("TLS_KEY is set but TLS_CERT is not: set both (PEM files), or neither for a self-signed certificate");
    if (!o.keyFile) throw new TlsError("TLS_CERT is set but TLS_KEY is not: set both (PEM files), or neither for a self-signed certificate");
    const cert = readPem(o.certFile, "TLS_CERT");
    const key = readPem(o.keyFile, "TLS_KEY");
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new TlsError(`TLS_KEY: no PEM private key in ${o.keyFile}`);
    const { fingerprint } = inspect(cert, `TLS_CERT (${o.certFile})`);
    return { cert, key, fingerprint, source: "files", certFile: o.certFile, keyFile: o.keyFile };
  }
  const { certFile, keyFile } = tlsFilesFor(o.databasePath);
  const now = o.now ?? new Date();
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readPem(certFile, "the self-signed certificate");
    const key = readPem(keyFile, "the self-signed certificate's key");
    try {
      const { fingerprint, validTo } = inspect(cert, certFile);
      // Renewed a month ahead, so a box that restarts rarely never serves an expired one for long.
      if (validTo.getTime() - now.getTime() > 30 * 24 * 3600_000) return { cert, key, fingerprint, source: "stored", certFile, keyFile };
    } catch {
      // damaged: made again below
    }
  }
  let made;
  try {
    made = makeSelfSigned({ commonName: hostname() || "netinsight", names: localNames(), now });
    writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    writeFileSync(certFile, made.certPem, { mode: 0o644 });
  } catch (e) {
    throw new TlsError(`cannot write the self-signed certificate beside the database (${certFile}): ${(e as Error).message}`);
  }
  return { cert: made.certPem, key: made.keyPem, fingerprint: made.fingerprint, source: "generated", certFile, keyFile };
}
