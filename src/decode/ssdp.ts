/**
 * SSDP (UPnP discovery over UDP 1900): M-SEARCH, NOTIFY and HTTP/1.1 200 responses with their
 * headers (lower-case names): SERVER and USER-AGENT name the device's OS and UPnP stack.
 */
import type { SsdpMessage } from "./types.ts";
import { firstLine, parseHeaderLines } from "./http.ts";

const START_LINES: [RegExp, SsdpMessage["method"]][] = [
  [/^M-SEARCH \* HTTP\/1\.[01]$/i, "M-SEARCH"],
  [/^NOTIFY \* HTTP\/1\.[01]$/i, "NOTIFY"],
  [/^HTTP\/1\.[01] 200( .*)?$/i, "RESPONSE"],
];

export function decodeSsdp(bytes: Uint8Array, offset: number, length: number): SsdpMessage | undefined {
  const first = firstLine(bytes, offset, length);
  if (!first) return undefined;
  const start = START_LINES.find(([re]) => re.test(first.line.trim()));
  if (!start) return undefined;
  // A datagram is the whole message: a last header without CRLF still counts.
  const text = first.text.endsWith("\n") ? first.text : first.text + "\r\n";
  const headers: Record<string, string> = {};
  for (const [name, value] of parseHeaderLines(text, first.rest)) if (!(name in headers)) headers[name] = value;
  return { method: start[1], headers };
}
