/**
 * A bare root file system holding only the C libraries the x64 executable links (and libpcap when
 * asked): the executable runs there through chroot in a private mount namespace, so nothing of the
 * checkout, node_modules or the host's libpcap can be reached. Needs root and util-linux `unshare`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const canChroot = process.getuid?.() === 0 && Bun.which("unshare") !== null && Bun.which("chroot") !== null && Bun.which("ldd") !== null;

/** The libraries `ldd` says a binary needs (absolute paths, the loader included). */
function neededLibraries(binary: string): string[] {
  const r = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ldd ${binary}: ${r.stderr.toString()}`);
  return [...r.stdout.toString().matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

export function hostLibpcap(): string | undefined {
  const r = Bun.spawnSync(["ldconfig", "-p"], { stdout: "pipe" });
  return r.stdout.toString().match(/libpcap\.so\.0\.8 \(libc6,x86-64\) => (\S+)/)?.[1];
}

export interface Sysroot {
  dir: string;
  /** argv that runs `/netinsight ...args` inside the root (the executable is bind-mounted, not copied). */
  command(args: string[]): string[];
  remove(): void;
}

export function makeSysroot(exe: string, opts: { libpcap: boolean }): Sysroot {
  const dir = mkdtempSync(path.join(tmpdir(), "ni-sysroot-"));
  const libs = neededLibraries(exe);
  if (opts.libpcap) {
    const pcap = hostLibpcap();
    if (!pcap) throw new Error("libpcap0.8 is not installed on this machine");
    libs.push(pcap, ...neededLibraries(pcap));
  }
  for (const lib of new Set(libs)) {
    mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
    copyFileSync(lib, path.join(dir, lib));
  }
  for (const d of ["proc", "dev", "tmp", "data"]) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, "netinsight"), "");
  // `unshare --mount` without --fork execs in place: the pid the test holds is the executable's,
  // so SIGTERM reaches it. The mounts vanish with the namespace.
  const script = [
    'root=$1; exe=$2; shift 2',
    'mount --rbind /proc "$root/proc"',
    'mount --rbind /dev "$root/dev"',
    'mount --bind "$exe" "$root/netinsight"',
    'exec chroot "$root" /netinsight "$@"',
  ].join(" && ");
  return {
    dir,
    command: (args) => ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, exe, ...args],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
