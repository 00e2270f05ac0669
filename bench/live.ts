/**
 * Live capture under load: tcpreplay pushes the benchmark capture through a veth pair at top speed
 * while openLive + the engine consume it; reports the rate and what the kernel dropped.
 * Needs root, `ip` and tcpreplay; skipped with a message otherwise.
 */
import { openLive } from "../src/capture/live.ts";
import { Engine } from "../src/engine/engine.ts";

/** Packets replayed: enough for a steady rate, short enough for a shared machine. */
const REPLAY_PACKETS = 1_000_000;
const SETTLE_MS = 500;
const ns = `ni-bench-${process.pid % 100000}`;
const hostIf = `nbh${process.pid % 100000}`, nsIf = `nbn${process.pid % 100000}`;

function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  return r.stdout.toString() + r.stderr.toString();
}

export async function liveBench(file: string): Promise<void> {
  if (process.getuid?.() !== 0 || !Bun.which("ip") || !Bun.which("tcpreplay")) {
    console.log("  live capture: skipped (needs root, iproute2 and tcpreplay)");
    return;
  }
  try {
    sh(["ip", "netns", "add", ns]);
    sh(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    sh(["ip", "link", "set", nsIf, "netns", ns]);
    sh(["ip", "link", "set", hostIf, "up"]);
    sh(["ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up"]);
    const cap = await openLive({ interface: hostIf });
    const engine = new Engine();
    cap.start((b, linkType) => engine.processBatch(b, linkType), (e) => console.log(`  live capture error: ${e.message}`));
    const replay = Bun.spawn(["ip", "netns", "exec", ns, "tcpreplay", "--topspeed", "-L", String(REPLAY_PACKETS), "-i", nsIf, file], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = await new Response(replay.stdout).text();
    await replay.exited;
    await Bun.sleep(SETTLE_MS);
    const s = cap.stats();
    cap.stop();
    const rate = /Rated:.*?([\d.]+) pps/.exec(out)?.[1];
    console.log(
      `  live capture + engine on veth: tcpreplay sent ${REPLAY_PACKETS} at ${rate ?? "?"} packets/s; ` +
        `captured ${s.packets}, kernel received ${s.received}, dropped ${s.dropped} (${((100 * s.dropped) / Math.max(1, s.received)).toFixed(2)} %)`,
    );
  } finally {
    Bun.spawnSync(["ip", "netns", "del", ns]);
    Bun.spawnSync(["ip", "link", "del", hostIf], { stderr: "ignore" });
  }
}
