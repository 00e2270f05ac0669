/**
 * Capture errors a user can act on: each says what went wrong and what to type to fix it.
 * The CLI and API print `message` as it is, never a stack trace.
 */
import { realpathSync } from "node:fs";

export type CaptureErrorCode =
  | "NO_LIBPCAP"
  | "NO_SHIM"
  | "PERMISSION"
  | "NO_SUCH_DEVICE"
  | "IFACE_DOWN"
  | "BAD_FILTER"
  | "FILE"
  | "CAPTURE";

export class CaptureError extends Error {
  constructor(readonly code: CaptureErrorCode, message: string) {
    super(message);
    this.name = "CaptureError";
  }
}

/** libpcap's pcap_activate() results (pcap/pcap.h). */
export const PCAP_ERROR = -1;
export const PCAP_ERROR_BREAK = -2;
export const PCAP_ERROR_NO_SUCH_DEVICE = -5;
export const PCAP_ERROR_PERM_DENIED = -8;
export const PCAP_ERROR_IFACE_NOT_UP = -9;
export const PCAP_ERROR_PROMISC_PERM_DENIED = -11;

/** The file a user must give capabilities to: the compiled executable, or the real bun binary. */
export function executableForSetcap(): string {
  try {
    return realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
}

export function permissionError(iface: string, detail: string): CaptureError {
  const exe = executableForSetcap();
  return new CaptureError(
    "PERMISSION",
    `no permission to capture on ${iface}: live capture needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities.\n` +
      `  Either run as root, or grant them once to the executable:\n` +
      `    sudo setcap cap_net_raw,cap_net_admin=eip ${exe}\n` +
      `  (libpcap said: ${detail})`,
  );
}

export function noSuchDeviceError(iface: string, available: string[], detail = ""): CaptureError {
  const list = available.length ? available.join(", ") : "(none found: is this a container without network devices?)";
  return new CaptureError(
    "NO_SUCH_DEVICE",
    `no such network interface "${iface}". Available interfaces: ${list}` + (detail ? `\n  (libpcap said: ${detail})` : ""),
  );
}

/** Turns a failed pcap_activate() into the error a user can act on. */
export function activateError(code: number, iface: string, detail: string, available: () => string[]): CaptureError {
  switch (code) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return permissionError(iface, detail);
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return noSuchDeviceError(iface, safeList(available), detail);
    case PCAP_ERROR_IFACE_NOT_UP:
      return new CaptureError("IFACE_DOWN", `interface ${iface} is down: bring it up (sudo ip link set ${iface} up) or pick another`);
    default:
      return new CaptureError("CAPTURE", `cannot capture on ${iface}: ${detail || `libpcap error ${code}`}`);
  }
}

function safeList(available: () => string[]): string[] {
  try {
    return available();
  } catch {
    return [];
  }
}

export function badFilterError(expression: string, detail: string): CaptureError {
  return new CaptureError(
    "BAD_FILTER",
    `invalid capture filter "${expression}": ${detail}\n  (filters use tcpdump syntax, e.g. "tcp port 443" or "not arp")`,
  );
}
