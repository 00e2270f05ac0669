/**
 * libpcap through bun:ffi: the one symbol table for every native call NetInsight makes,
 * opened lazily so that `--help` and the API work on a machine without libpcap.
 */
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { CaptureError } from "./errors.ts";

const { ptr, i32, u32, cstring, void: none } = FFIType;

const symbols = {
  pcap_lib_version: { args: [], returns: cstring },
  pcap_open_offline: { args: [ptr, ptr], returns: ptr },
  pcap_create: { args: [ptr, ptr], returns: ptr },
  pcap_set_snaplen: { args: [ptr, i32], returns: i32 },
  pcap_set_promisc: { args: [ptr, i32], returns: i32 },
  pcap_set_immediate_mode: { args: [ptr, i32], returns: i32 },
  pcap_set_buffer_size: { args: [ptr, i32], returns: i32 },
  pcap_set_timeout: { args: [ptr, i32], returns: i32 },
  pcap_activate: { args: [ptr], returns: i32 },
  pcap_setnonblock: { args: [ptr, i32, ptr], returns: i32 },
  pcap_get_selectable_fd: { args: [ptr], returns: i32 },
  pcap_datalink: { args: [ptr], returns: i32 },
  pcap_snapshot: { args: [ptr], returns: i32 },
  pcap_compile: { args: [ptr, ptr, ptr, i32, u32], returns: i32 },
  pcap_setfilter: { args: [ptr, ptr], returns: i32 },
  pcap_freecode: { args: [ptr], returns: none },
  pcap_stats: { args: [ptr, ptr], returns: i32 },
  pcap_geterr: { args: [ptr], returns: cstring },
  pcap_statustostr: { args: [i32], returns: cstring },
  pcap_close: { args: [ptr], returns: none },
  pcap_findalldevs: { args: [ptr, ptr], returns: i32 },
  pcap_freealldevs: { args: [ptr], returns: none },
  pcap_datalink_val_to_name: { args: [i32], returns: cstring },
} as const;

export type Libpcap = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

/** Where libpcap lives on Debian, Raspberry Pi OS, Ubuntu and Fedora, in the order we try them. */
export const LIBPCAP_NAMES = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];

export class LibpcapMissingError extends CaptureError {
  constructor(detail: string) {
    super(
      "NO_LIBPCAP",
      "libpcap is not installed (tried " + LIBPCAP_NAMES.join(", ") + "). " +
        "Install it with: sudo apt install libpcap0.8   (Fedora: sudo dnf install libpcap)" +
        (detail ? `\n  loader said: ${detail}` : ""),
    );
    this.name = "LibpcapMissingError";
  }
}

let cached: Libpcap | undefined;

/** Opens libpcap once; throws LibpcapMissingError with the package to install when it is absent. */
export function libpcap(): Libpcap {
  if (cached) return cached;
  // The first name's error is the telling one (the Debian soname); later ones only repeat "not found".
  let firstError = "";
  for (const name of LIBPCAP_NAMES) {
    try {
      cached = dlopen(name, symbols).symbols;
      return cached;
    } catch (e) {
      firstError ||= (e as Error).message;
    }
  }
  throw new LibpcapMissingError(firstError);
}

/** A NUL-terminated copy of a JS string for char* arguments. */
export function cString(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

/** libpcap's PCAP_ERRBUF_SIZE. */
export const ERRBUF_SIZE = 256;

export function errbufText(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? buf.length : end);
}

export type PcapHandle = Pointer;
