/**
 * The batch shim (native/ni_capture.c): one FFI call moves a batch of packets into a JS-owned
 * buffer. The prebuilt .so for this architecture is embedded in the executable (Bun writes it to
 * $TMPDIR and dlopen()s it); see native/README.md for why not bun:ffi's cc.
 */
import { dlopen, FFIType } from "bun:ffi";
import { libpcap } from "./libpcap.ts";
import { CaptureError } from "./errors.ts";

const { ptr, i32, u32, cstring } = FFIType;

const symbols = {
  ni_init: { args: [], returns: i32 },
  ni_read_offline: { args: [ptr, ptr, u32, u32, ptr], returns: i32 },
  ni_read_live: { args: [ptr, ptr, u32, u32, ptr], returns: i32 },
  ni_file_open: { args: [ptr, ptr], returns: ptr },
  ni_file_filter: { args: [ptr, ptr, ptr, u32], returns: i32 },
  ni_file_read: { args: [ptr, ptr, u32, u32, ptr], returns: i32 },
  ni_file_error: { args: [ptr], returns: cstring },
  ni_file_close: { args: [ptr], returns: FFIType.void },
} as const;

/** Zero-copy file windows (offline.ts). Optional: a shim built before them still loads, and copies. */
const mapSymbols = {
  ni_file_map: { args: [ptr], returns: i32 },
  ni_file_map_base: { args: [ptr], returns: ptr },
  ni_file_view: { args: [ptr, u32, u32, ptr], returns: i32 },
} as const;

/** The flow table's cache warmer (native/ni_flowhint.c, engine.ts). Optional as the above. */
const hintSymbols = {
  ni_flow_prefetch: { args: [ptr, u32, u32, u32, u32, u32, ptr, u32, ptr, u32, ptr], returns: u32 },
} as const;

export type Shim = ReturnType<typeof dlopen<typeof symbols>>["symbols"] &
  Partial<ReturnType<typeof dlopen<typeof mapSymbols>>["symbols"]> &
  Partial<ReturnType<typeof dlopen<typeof hintSymbols>>["symbols"]>;

/** Bytes of the per-packet record header the shim writes: ts_sec, ts_usec, caplen, origlen. */
export const RECORD_HEADER = 16;

let cached: Shim | undefined;

/**
 * Both imports are dynamic so that a checkout only needs the .so of its own architecture, while
 * `bun build --compile` still embeds both (the bundler follows literal dynamic imports).
 */
async function shimPath(): Promise<string> {
  try {
    if (process.arch === "arm64") {
      return (await import("../../native/build/libni_capture-arm64.so", { with: { type: "file" } })).default;
    }
    if (process.arch === "x64") {
      return (await import("../../native/build/libni_capture-x64.so", { with: { type: "file" } })).default;
    }
  } catch (e) {
    throw new CaptureError(
      "NO_SHIM",
      `the capture shim for ${process.arch} is not built: run "sh native/build.sh" (needs a C compiler: sudo apt install gcc)\n  (${(e as Error).message})`,
    );
  }
  throw new CaptureError("NO_SHIM", `packet capture is not available on ${process.arch}: NetInsight ships for linux x64 and arm64`);
}

/** The shim when some capture has loaded it already, else undefined (never loads it). */
export function loadedShim(): Shim | undefined {
  return cached;
}

/** Loads libpcap, then the shim, and links the two. */
export async function loadShim(): Promise<Shim> {
  if (cached) return cached;
  libpcap();
  const path = await shimPath();
  let lib: Shim;
  try {
    // A shim built before the newer symbols still loads, without them ("sh native/build.sh" brings them).
    const tiers = [{ ...symbols, ...mapSymbols, ...hintSymbols }, { ...symbols, ...mapSymbols }, symbols];
    let opened: Shim | undefined, failure: unknown;
    for (const tier of tiers) {
      try {
        opened = dlopen(path, tier).symbols as Shim;
        break;
      } catch (e) {
        failure ??= e;
      }
    }
    if (!opened) throw failure;
    lib = opened;
  } catch (e) {
    throw new CaptureError("NO_SHIM", `cannot load the capture shim ${path}: ${(e as Error).message}`);
  }
  if (lib.ni_init() !== 0) throw new CaptureError("NO_SHIM", "capture shim could not find pcap_next_ex/pcap_dispatch/pcap_snapshot in libpcap");
  cached = lib;
  return cached;
}
