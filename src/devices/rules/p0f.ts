/**
 * A few TCP SYN signatures from p0f 3.09's p0f.fp ([tcp:request], Michal Zalewski, LGPL) and a
 * matcher for the evidence value "ittl:window,scale:layout:mss" that the tracker records.
 */

/** p0f sig fields we can check: ittl, window ("8192", "mss*10", "*"), scale ("*" = any), layout. */
export interface SynSignature { ittl: number; window: string; scale: string; layout: string }

/** Parses "64:mss*10,*:mss,sok,ts,nop,ws" (our trimmed form of a p0f sig). */
export function parseSig(sig: string): SynSignature {
  const [ittl, win, layout] = sig.split(":");
  const [window, scale] = (win ?? "*,*").split(",");
  return { ittl: Number(ittl), window: window ?? "*", scale: scale ?? "*", layout: layout ?? "" };
}

/** The evidence value for a SYN: "64:29200,7:mss,sok,ts,nop,ws:1460". */
export function synValue(initialTtl: number, window: number, scale: number | undefined, layout: string, mss: number | undefined): string {
  return `${initialTtl}:${window},${scale ?? 0}:${layout}:${mss ?? 0}`;
}

/** Returns a predicate over synValue strings for one p0f-style signature. */
export function synMatcher(sig: string): (value: string) => boolean {
  const s = parseSig(sig);
  return (value: string) => {
    const [ittl, win, layout, mssText] = value.split(":");
    if (Number(ittl) !== s.ittl || layout !== s.layout) return false;
    const [wText, scaleText] = (win ?? "").split(",");
    if (s.scale !== "*" && s.scale !== scaleText) return false;
    if (s.window === "*") return true;
    const window = Number(wText);
    if (s.window.startsWith("mss*")) {
      const mss = Number(mssText);
      return mss > 0 && window === mss * Number(s.window.slice(4));
    }
    return window === Number(s.window);
  };
}

/** p0f's catch-all for Apple stacks: it cannot tell macOS from iOS, so it names only the vendor. */
export const P0F_APPLE_CATCH_ALL = "64:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1";

/** Signature -> OS family, in p0f's order (specific first); weights are low: TTL/window are easy to change. */
export const P0F_SIGNATURES: [sig: string, os: string, w: number][] = [
  ["64:mss*10,*:mss,sok,ts,nop,ws", "Linux", 0.45],
  ["64:mss*20,*:mss,sok,ts,nop,ws", "Linux", 0.45],
  ["64:mss*44,*:mss,sok,ts,nop,ws", "Android", 0.35],
  ["64:mss*4,*:mss,sok,ts,nop,ws", "Linux", 0.4],
  ["64:*,*:mss,sok,ts,nop,ws", "Linux", 0.3],
  ["64:*,*:mss,nop,nop,sok,nop,ws", "Linux", 0.25],
  ["64:*,0:mss", "Linux", 0.15],
  ["128:8192,*:mss,nop,ws,nop,nop,sok", "Windows", 0.5],
  ["128:8192,*:mss,nop,nop,sok", "Windows", 0.5],
  ["128:65535,*:mss,nop,ws,nop,nop,sok", "Windows", 0.45],
  ["128:*,*:mss,nop,ws,nop,nop,sok", "Windows", 0.45],
  ["128:*,*:mss,nop,nop,sok", "Windows", 0.4],
  ["64:65535,1:mss,nop,ws,nop,nop,ts,sok,eol+1", "macOS", 0.45],
  ["64:65535,3:mss,nop,ws,nop,nop,ts,sok,eol+1", "macOS", 0.45],
  ["64:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1", "iOS", 0.35],
  ["64:65535,2:mss,nop,ws,nop,nop,ts,sok,eol+1", "iOS", 0.35],
  ["64:65535,*:mss,nop,ws,sok,ts", "FreeBSD", 0.4],
];
