/**
 * The single executable loads its embedded capture shim: `bun build --compile` of a tiny entry that
 * reads a capture with openOffline, run from another directory with no checkout around it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pcapBytes } from "../src/capture/pcapfile.ts";

const shimBuilt = existsSync(path.resolve(import.meta.dir, `../native/build/libni_capture-${process.arch}.so`));
const dir = mkdtempSync(path.join(tmpdir(), "ni-compiled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!shimBuilt)("compiled executable", () => {
  test("reads a capture through the embedded shim, run from another directory", () => {
    const entry = path.join(dir, "entry.ts");
    const offline = path.resolve(import.meta.dir, "../src/capture/offline.ts");
    writeFileSync(entry, `import { openOffline } from ${JSON.stringify(offline)};
const src = await openOffline(process.argv[2]);
let n = 0;
for (let b = src.next(); b; b = src.next()) n += b.count;
console.log(JSON.stringify({ packets: n, linkType: src.linkType }));`);
    // 12 frames of 60..115 bytes, Ethernet.
    const packets = Array.from({ length: 12 }, (_, i) => ({ ts: 1_700_000_000 + i, data: new Uint8Array(60 + i * 5).fill(i) }));
    const capture = path.join(dir, "small.pcap");
    writeFileSync(capture, pcapBytes(1, packets));
    const exe = path.join(dir, "ni-test");
    const build = Bun.spawnSync([process.execPath, "build", "--compile", entry, "--outfile", exe], { stdout: "pipe", stderr: "pipe" });
    expect(build.stderr.toString()).not.toContain("error");
    expect(build.exitCode).toBe(0);
    const run = Bun.spawnSync([exe, capture], { cwd: tmpdir(), stdout: "pipe", stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(JSON.parse(run.stdout.toString())).toEqual({ packets: 12, linkType: 1 });
  });
});
