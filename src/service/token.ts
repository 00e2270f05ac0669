/**
 * The API token: API_TOKEN when set, else the one stored beside the database (`<db>.token`, mode
 * 0600), else a new one generated and stored there on first start.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";

export interface ResolvedToken {
  token: string;
  source: "env" | "file" | "generated";
  /** Where the token is stored (for "read it again with ..."); null when it came from the environment. */
  file: string | null;
}

export function tokenFileFor(databasePath: string): string {
  return `${databasePath}.token`;
}

export function resolveToken(apiToken: string | undefined, databasePath: string): ResolvedToken {
  if (apiToken) return { token: apiToken, source: "env", file: null };
  const file = tokenFileFor(databasePath);
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length >= 16) {
      // Someone may have loosened it; a token readable by others is a token for everyone.
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { token, source: "file", file };
    }
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // the umask may have narrowed it; make sure it is exactly 0600
  return { token, source: "generated", file };
}
