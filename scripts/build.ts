/**
 * `bun run build`: one self-contained executable per target in dist/, with the native capture
 * shim, OUI data, web page, OpenAPI UI assets and migrations embedded. Prints each file's size and
 * SHA-256 (also written to dist/SHA256SUMS, for `sha256sum -c` on the Pi) and the build times.
 * `bun scripts/build.ts x64` (or `arm64`) builds one target only.
 */
import { $ } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dir, "..");

export const TARGETS = [
  { arch: "x64", name: "netinsight-linux-x64", target: "bun-linux-x64", shim: "native/build/libni_capture-x64.so", cc: "x86_64-linux-gnu-gcc" },
  { arch: "arm64", name: "netinsight-linux-arm64", target: "bun-linux-arm64", shim: "native/build/libni_capture-arm64.so", cc: "aarch64-linux-gnu-gcc" },
] as const;

/**
 * Worker entry points (`new Worker(new URL("./worker.ts", import.meta.url))`). The executable only
 * holds modules reachable from its entry points, and a Worker's URL is not an import, so each one is
 * an extra entry point. `--entry-naming=[name].[ext]` puts it at `/$bunfs/root/worker.js`, which is
 * where that URL points from inside the executable (import.meta.url is `/$bunfs/root/<executable>`).
 */
const WORKER_ENTRIES = ["src/service/worker.ts", "src/storage/write-thread.ts", "src/backup/backup-worker.ts"];

const DEBIAN_CROSS_PACKAGES: Record<string, string> = { arm64: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross", x64: "gcc-x86-64-linux-gnu libc6-dev-amd64-cross" };

/** Hex SHA-256 of a file, read in pieces (the executables are over 100 MB). */
export async function sha256File(file: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const reader = Bun.file(file).stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) hasher.update(r.value);
  return hasher.digest("hex");
}

/** Records one file's sum in dist/SHA256SUMS (the other target's line is kept). */
function recordSum(dist: string, name: string, sum: string): void {
  const file = path.join(dist, "SHA256SUMS");
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l && !l.endsWith(`  ${name}`)) : [];
  lines.push(`${sum}  ${name}`);
  writeFileSync(file, lines.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join("\n") + "\n");
}

async function build(t: (typeof TARGETS)[number]): Promise<boolean> {
  if (!existsSync(path.join(ROOT, t.shim))) {
    console.error(
      `${t.name}: SKIPPED, the capture shim ${t.shim} is missing: it needs the C cross compiler ${t.cc}.\n` +
        `  Install it (sudo sh scripts/setup.sh build, or: sudo apt install ${DEBIAN_CROSS_PACKAGES[t.arch]}) and rerun \`npm run build\`.`,
    );
    return false;
  }
  const out = path.join(ROOT, "dist", t.name);
  // Built in a scratch folder and renamed over, so a test running the old file never sees half a
  // file; same base name, since it becomes the executable's own name (Bun.main, crash reports).
  const scratch = mkdtempSync(path.join(ROOT, "dist", ".build-"));
  const tmp = path.join(scratch, t.name);
  const workers = WORKER_ENTRIES.filter((w) => existsSync(path.join(ROOT, w)));
  const started = performance.now();
  const r = await $`${process.execPath} build --compile --minify --sourcemap=none --target=${t.target} --entry-naming=[name].[ext] src/main.ts ${workers} --outfile ${tmp}`
    .cwd(ROOT)
    .nothrow()
    .quiet();
  const seconds = (performance.now() - started) / 1000;
  if (r.exitCode !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    console.error(`${t.name}: build FAILED:\n${r.stderr.toString()}${r.stdout.toString()}`);
    return false;
  }
  renameSync(tmp, out);
  rmSync(scratch, { recursive: true, force: true });
  const sum = await sha256File(out);
  recordSum(path.dirname(out), t.name, sum);
  console.log(`dist/${t.name}  ${(statSync(out).size / 1e6).toFixed(1)} MB  sha256 ${sum}  built in ${seconds.toFixed(1)} s`);
  return true;
}

if (import.meta.main) {
  const only = process.argv[2];
  const targets = TARGETS.filter((t) => !only || t.arch === only);
  if (targets.length === 0) {
    console.error(`unknown target "${only}": use ${TARGETS.map((t) => t.arch).join(" or ")}`);
    process.exit(2);
  }
  const native = await $`sh native/build.sh`.cwd(ROOT).nothrow().quiet();
  if (native.exitCode !== 0) {
    console.error(`native/build.sh failed:\n${native.stderr.toString()}`);
    process.exit(1);
  }
  if (native.stdout.length) process.stdout.write(native.stdout.toString());
  mkdirSync(path.join(ROOT, "dist"), { recursive: true });
  const started = performance.now();
  let ok = true;
  for (const t of targets) ok = (await build(t)) && ok;
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.exit(ok ? 0 : 1);
}
