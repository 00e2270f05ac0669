/**
 * `serve` exports too: a capture fed with `serve --read` reaches nfcapd with the same flows as
 * `analyze --json` shows. And bad export settings stop start-up with a message naming the setting.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./support/net.ts";
import { analyzeJson, BUN, have, matchFlows, ROOT, startNfcapd } from "./export/collectors.ts";
import { runCli, serve, stop, waitFed } from "./export/serve.ts";

const SAMPLE = join(ROOT, "samples", "home-lab.pcap");
const dir = mkdtempSync(join(tmpdir(), "ni-export-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!have("nfcapd"))("serve exports", () => {
  test("serve --read FILE --ipfix: nfdump holds every flow analyze --json reports, per direction", async () => {
    const port = await freePort();
    const collector = await startNfcapd(port);
    const s = await serve(join(dir, "serve.db"), ["--read", SAMPLE, "--speed", "0", "--ipfix", `127.0.0.1:${port}`]);
    await waitFed(s);
    // Flows still in the table end at shutdown and go out before the process exits.
    expect(await stop(s)).toBe(0);
    const got = await collector.stop();
    const { flows } = await analyzeJson(SAMPLE, []);
    const m = matchFlows(flows, got);
    console.log(`export serve --read -> nfcapd: ${m.matched}/${m.total} flows match${m.misses.length ? `\n  ${m.misses.join("\n  ")}` : ""}`);
    expect(m.total).toBeGreaterThan(300);
    expect(m.matched).toBe(m.total);
    expect(collector.log()).toMatch(/Sequence Errors: 0\b/);
  }, 120_000);
});

describe("collectors that are not there", () => {
  test("analyze finishes its report and says what was dropped (UDP: port unreachable; TCP: refused)", async () => {
    const port = await freePort();
    const r = runCli([BUN, join(ROOT, "src", "main.ts"), "analyze", SAMPLE, "--top", "0", "--ipfix", `127.0.0.1:${port}`, "--netflow9", `tcp://127.0.0.1:${port}`]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("331 flows");
    expect(r.out).toMatch(new RegExp(`warning: export: netflow9 collector tcp://127.0.0.1:${port}: \\d+ messages dropped`));
    expect(r.out).toMatch(/exported 641 ipfix records/);
  });
});

describe("bad export settings stop start-up, naming the setting", () => {
  const main = join(ROOT, "src", "main.ts");
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["port out of range (flag)", ["--ipfix", "127.0.0.1:70000"], {}, /IPFIX_COLLECTORS.*port 70000 is out of range/],
    ["port out of range (env)", [], { NETFLOW9_COLLECTORS: "127.0.0.1:0" }, /NETFLOW9_COLLECTORS.*port 0 is out of range/],
    ["not HOST:PORT", ["--ipfix", "collector.lan"], {}, /IPFIX_COLLECTORS.*"collector.lan" is not a collector/],
    ["unknown scheme", ["--ipfix", "sctp://127.0.0.1:4739"], {}, /IPFIX_COLLECTORS.*is not a collector/],
  ];
  for (const [name, flags, env, want] of cases) {
    test(`analyze and serve: ${name}`, () => {
      const a = runCli([BUN, main, "analyze", SAMPLE, ...flags], env);
      expect(a.code).toBe(2);
      expect(a.out).toMatch(want);
      const s = runCli([BUN, main, "serve", "--no-capture", "--port", "1", "--database", join(dir, "bad.db"), ...flags], env);
      expect(s.code).toBe(2);
      expect(s.out).toMatch(want);
    });
  }

  // Resolving a name must not leave the machine: the lookup runs in a network namespace of its own.
  const netns = process.getuid?.() === 0 && have("unshare");
  test.skipIf(!netns)("an unresolvable collector host (looked up inside an empty network namespace)", () => {
    const a = runCli(["unshare", "-n", BUN, main, "analyze", SAMPLE, "--ipfix", "collector.invalid:4739"]);
    expect(a.code).toBe(2);
    expect(a.out).toMatch(/IPFIX_COLLECTORS \(--ipfix\): cannot resolve the collector host "collector.invalid"/);
    const s = runCli(["unshare", "-n", BUN, main, "serve", "--no-capture", "--database", join(dir, "dns.db"), "--netflow9", "tcp://collector.invalid:2055"]);
    expect(s.code).toBe(2);
    expect(s.out).toMatch(/NETFLOW9_COLLECTORS \(--netflow9\): cannot resolve the collector host "collector.invalid"/);
  });
});
