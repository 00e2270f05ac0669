/** The version, and the dates of the data the executable carries (for `--version`). */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

export async function versionText(): Promise<string> {
  const lines = [`netinsight ${VERSION} (bun ${Bun.version}, ${process.platform}-${process.arch})`];
  try {
    const { libpcap } = await import("./capture/libpcap.ts");
    lines.push(`libpcap: ${libpcap().pcap_lib_version()}`);
  } catch (e) {
    lines.push(`libpcap: not available (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    const oui = (await import("./devices/oui/index.ts")) as { OUI_DATA_DATE?: string; OUI_SOURCE?: string };
    if (oui.OUI_DATA_DATE) lines.push(`OUI data: ${oui.OUI_DATA_DATE}${oui.OUI_SOURCE ? ` (${oui.OUI_SOURCE})` : ""}`);
  } catch {
    // no OUI data built in
  }
  return lines.join("\n");
}
