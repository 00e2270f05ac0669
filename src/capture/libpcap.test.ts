/**
 * A machine without libpcap gets the package to install, not a loader stack trace. The library is
 * hidden from one child process by bind-mounting /dev/null over it in a private mount namespace.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

const candidates = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
  .map((d) => path.join(d, "libpcap.so.0.8"))
  .filter(existsSync);
const realLib = candidates.length ? realpathSync(candidates[0]) : undefined;
const canHide = process.getuid?.() === 0 && Bun.which("unshare") !== null && realLib !== undefined;

describe.skipIf(!canHide)("libpcap missing", () => {
  test("opening a capture says which package to install", () => {
    const offline = path.resolve(import.meta.dir, "offline.ts");
    const script = `import { openOffline } from ${JSON.stringify(offline)};
      try { await openOffline("/nonexistent.pcap"); } catch (e) { console.log(e.code + "\\n" + e.message); }`;
    const r = Bun.spawnSync(
      ["unshare", "-m", "sh", "-c", `mount --bind /dev/null ${realLib} && exec "$0" -e "$1"`, process.execPath, script],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = r.stdout.toString();
    expect(out.split("\n")[0]).toBe("NO_LIBPCAP");
    expect(out).toContain("sudo apt install libpcap0.8");
  });
});
