/** A device on the local segment, as the tracker keeps it and the API serves it (times: epoch seconds). */
export type DeviceType =
  | "phone" | "computer" | "tablet" | "tv" | "speaker" | "camera" | "printer" | "iot"
  | "game_console" | "router" | "nas" | "unknown";

export interface Evidence {
  /** The kind of signal: "oui", "dhcp.hostname", "dhcp.fingerprint", "dhcp.vendor_class", "mdns.service", "tls.ja4", ... */
  signal: string;
  value: string;
  firstSeen: number;
  lastSeen: number;
}

export interface Label<T extends string = string> { value: T | null; confidence: number }

export interface Device {
  /** Stable: the first MAC seen, lower-case hex without separators ("a4c3f0123456"). */
  id: string;
  mac: string; // the MAC seen most recently, "aa:bb:cc:dd:ee:ff"
  macs: string[];
  ips: string[]; // IPv4 and IPv6
  vendor: Label;
  hostname: string | null;
  name: Label; // display name
  type: Label<DeviceType>;
  os: Label;
  isRandomizedMac: boolean;
  isGateway: boolean;
  firstSeen: number;
  lastSeen: number;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  flowCount: number;
  evidence: Evidence[];
}
