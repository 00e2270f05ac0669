/**
 * The one answer to "is this address on the local side of a home network": RFC 1918 private,
 * loopback (127/8, ::1), link-local (169.254/16, fe80::/10), CGNAT (100.64/10, the shared space a
 * carrier or a tailnet hands out) and IPv6 unique local (fc00::/7). Devices, rollups and detectors
 * all ask here, so they never disagree. Parsed from char codes: no allocation per call.
 */

export function isIpv6(ip: string): boolean {
  return ip.includes(":");
}

/** The four octets of a dotted quad packed into an unsigned 32-bit number, or -1 when it is not one. */
export function ipv4Number(ip: string): number {
  let value = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (octet < 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      octet = octet < 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || octet < 0) return -1;
  return value * 256 + octet;
}

/**
 * A dotted quad written the way the capture path writes one (no sign, no leading zero), as an
 * unsigned number; -1 for any other text (which then takes the text path, as it always did).
 */
export function canonicalIpv4(ip: string): number {
  let value = 0, octet = 0, digits = 0, dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && !(digits === 1 && octet === 0)) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** The first 16-bit group of an IPv6 address ("fd12:..." -> 0xfd12; "::1" -> 0), or -1 when malformed. */
function firstGroup(ip: string): number {
  let v = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i) | 0x20; // lower case for a-f
    if (c === 0x3a) return i === 0 && ip.charCodeAt(1) !== 0x3a ? -1 : v; // ":"
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0 || i >= 4) return -1;
    v = v * 16 + d;
  }
  return -1;
}

/** ::1, with or without its zeros written out. */
function isV6Loopback(ip: string): boolean {
  return ip === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(ip) || /^(0{1,4}:)+:0{0,3}1$/.test(ip);
}

export function isLoopback(ip: string): boolean {
  if (isIpv6(ip)) return isV6Loopback(ip);
  const n = ipv4Number(ip);
  return n >= 0 && n >>> 24 === 127;
}

export function isLinkLocal(ip: string): boolean {
  if (isIpv6(ip)) {
    const g = firstGroup(ip);
    return g >= 0 && (g & 0xffc0) === 0xfe80;
  }
  const n = ipv4Number(ip);
  return n >= 0 && n >>> 16 === 0xa9fe;
}

/** The local side of a home network (see the module comment); false for anything malformed. */
export function isLocalAddress(ip: string): boolean {
  if (isIpv6(ip)) {
    const g = firstGroup(ip);
    if (g < 0) return false;
    return (g & 0xfe00) === 0xfc00 || (g & 0xffc0) === 0xfe80 || (g === 0 && isV6Loopback(ip));
  }
  const n = ipv4Number(ip);
  return n >= 0 && isLocalIpv4(n);
}

/** isLocalAddress for an IPv4 address as a number (the flow table's form: no text made or parsed). */
export function isLocalIpv4(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 0xff;
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/** isHostAddress for an IPv4 address as a number. */
export function isHostIpv4(n: number): boolean {
  const first = n >>> 24;
  return first > 0 && first < 224 && first !== 127;
}

/** Unspecified, loopback, multicast and broadcast addresses never name a host on the network. */
export function isHostAddress(ip: string): boolean {
  if (!ip || ip === "0.0.0.0" || ip === "::" || ip === "255.255.255.255") return false;
  if (isIpv6(ip)) return !/^ff/i.test(ip);
  const first = Number(ip.slice(0, ip.indexOf(".")));
  return first > 0 && first < 224 && first !== 127;
}
