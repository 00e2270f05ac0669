/** `serve --loop`: only with --read, and never as fast as possible (an endless file would fill the disk). */
import { expect, test } from "bun:test";
import path from "node:path";

const REPO = path.resolve(import.meta.dir, "..");

function serve(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, "src/main.ts", "serve", ...args], { cwd: REPO, env: { ...process.env, API_TOKEN: "loop-cli-token-0123456789" } });
  return { code: p.exitCode, stderr: p.stderr.toString() };
}

test("--loop without --read is refused, naming the setting", () => {
  const r = serve("--loop");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--loop needs --read FILE");
});

test("--loop with --speed 0 is refused", () => {
  const r = serve("--read", "samples/home-lab.pcap", "--loop", "--speed", "0");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--loop needs a --speed above 0");
});

test("--help lists --loop", () => {
  const p = Bun.spawnSync([process.execPath, "src/main.ts", "serve", "--help"], { cwd: REPO });
  expect(p.stdout.toString()).toContain("--loop");
});
