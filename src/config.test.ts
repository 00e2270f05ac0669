import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadConfig, parseDotEnv } from "./config.ts";

function withDir(fn: (dir: string) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-config-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("parseDotEnv", () => {
  test("comments, export, quotes and inline comments", () => {
    expect(parseDotEnv(`# a comment\nexport PORT=9000\nHOST = "127.0.0.1"\nCAPTURE_FILTER='not port 22'\nX=1 # trailing\nnot a line\n`))
      .toEqual({ PORT: "9000", HOST: "127.0.0.1", CAPTURE_FILTER: "not port 22", X: "1" });
  });
});

describe("loadConfig", () => {
  test("defaults", () => withDir((dir) => {
    const c = loadConfig({ env: {}, cwd: dir });
    expect(c).toMatchObject({ HOST: "0.0.0.0", PORT: 8000, ALLOWED_ORIGINS: [], RETENTION_DAYS: 30, MAX_DB_MB: 1024, FLUSH_SECONDS: 5, LOG_LEVEL: "info" });
    expect(c.API_TOKEN).toBeUndefined();
    expect(path.isAbsolute(c.DATABASE_PATH)).toBe(true);
  }));

  test("flags win over the environment, which wins over .env files (cwd, then beside the database)", () => withDir((dir) => {
    const dataDir = path.join(dir, "data");
    mkdirSync(dataDir);
    writeFileSync(path.join(dir, ".env"), `PORT=9001\nHOST=127.0.0.1\nDATABASE_PATH=${path.join(dataDir, "n.db")}\nRETENTION_DAYS=7\n`);
    writeFileSync(path.join(dataDir, ".env"), "RETENTION_DAYS=9\nMAX_DB_MB=64\nFLUSH_SECONDS=2\n");
    const c = loadConfig({ env: { PORT: "9002", FLUSH_SECONDS: "" }, cwd: dir, flags: { PORT: "9003", HOST: undefined } });
    expect(c.PORT).toBe(9003);
    expect(c.HOST).toBe("127.0.0.1");
    expect(c.DATABASE_PATH).toBe(path.join(dataDir, "n.db"));
    expect(c.RETENTION_DAYS).toBe(7); // cwd .env beats the one beside the database
    expect(c.MAX_DB_MB).toBe(64);
    expect(c.FLUSH_SECONDS).toBe(2); // an empty environment value does not count
    expect(loadConfig({ env: { PORT: "9002" }, cwd: dir }).PORT).toBe(9002);
  }));

  test("ALLOWED_ORIGINS is a comma list or *", () => withDir((dir) => {
    expect(loadConfig({ env: { ALLOWED_ORIGINS: "http://pi.local:8000, https://a.example" }, cwd: dir }).ALLOWED_ORIGINS)
      .toEqual(["http://pi.local:8000", "https://a.example"]);
    expect(loadConfig({ env: { ALLOWED_ORIGINS: "*" }, cwd: dir }).ALLOWED_ORIGINS).toEqual(["*"]);
  }));

  test("bad values name the setting and what is allowed", () => withDir((dir) => {
    const fail = (env: Record<string, string>) => {
      try {
        loadConfig({ env, cwd: dir });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(fail({ PORT: "eighty" })).toContain('PORT: must be a whole number from 1 to 65535 (got "eighty")');
    expect(fail({ PORT: "0" })).toContain("PORT");
    expect(fail({ RETENTION_DAYS: "1.5" })).toContain("RETENTION_DAYS");
    expect(fail({ LOG_LEVEL: "loud" })).toContain("LOG_LEVEL: must be one of debug, info, warn, error");
    expect(fail({ ALLOWED_ORIGINS: "pi.local" })).toContain("ALLOWED_ORIGINS");
    const token = fail({ API_TOKEN: "short-secret" });
    expect(token).toContain("API_TOKEN: must be at least 16 characters");
    expect(token).not.toContain("short-secret"); // a secret is never echoed
    expect(fail({ PORT: "x", MAX_DB_MB: "1" }).split("\n").length).toBe(3); // every bad setting at once
  }));
});
