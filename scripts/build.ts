/**
 * `bun run build`: one self-contained executable per target in dist/, with the native capture
 * shim, OUI data, web page, OpenAPI UI assets and migrations embedded. Prints the sizes.
 */
import { $ } from "bun";
import { statSync } from "node:fs";

const TARGETS = [
  { name: "netinsight-linux-x64", target: "bun-linux-x64", shim: "native/build/libni_capture-x64.so" },
  { name: "netinsight-linux-arm64", target: "bun-linux-arm64", shim: "native/build/libni_capture-arm64.so" },
];

const only = process.argv[2]; // e.g. `bun scripts/build.ts arm64`
await $`sh native/build.sh`.quiet();
for (const t of TARGETS) {
  if (only && !t.name.endsWith(only)) continue;
  try {
    statSync(t.shim);
  } catch {
    console.error(`missing ${t.shim}: install a cross compiler (sudo apt install gcc-aarch64-linux-gnu) and rerun`);
    process.exit(1);
  }
  const out = `dist/${t.name}`;
  const r = await $`bun build --compile --minify --sourcemap=none --target=${t.target} src/main.ts --outfile ${out}`.nothrow().quiet();
  if (r.exitCode !== 0) {
    console.error(`build of ${out} failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
    process.exit(1);
  }
  console.log(`${out}  ${(statSync(out).size / 1e6).toFixed(1)} MB`);
}
