/** Whether an address belongs to the local network side (private, link-local, ULA, CGNAT). */

export function isLocalAddress(ip: string): boolean {
  if (ip.includes(":")) {
    const h = ip.toLowerCase();
    return h.startsWith("fe8") || h.startsWith("fe9") || h.startsWith("fea") || h.startsWith("feb") ||
      h.startsWith("fc") || h.startsWith("fd");
  }
  const parts = ip.split(".");
  if (parts.length !== 4) return false;
  const a = Number(parts[0]);
  const b = Number(parts[1]);
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}
