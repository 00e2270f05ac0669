/** The version, and the dates of the data the executable carries (for `--version`). */
import pkg from "../package.json" with { type: "json" };
import { OUI_DATA_DATE, OUI_DATA_SOURCE, OUI_ENTRIES } from "./devices/oui/meta.ts";

export const VERSION: string = pkg.version;

export async function versionText(): Promise<string> {
  const lines = [`netinsight ${VERSION} (bun ${Bun.version}, ${process.platform}-${process.arch})`];
  try {
    const { libpcap } = await import("./capture/libpcap.ts");
    lines.push(`libpcap: ${libpcap().pcap_lib_version()}`);
  } catch (e) {
    lines.push(`libpcap: not available (${(e as Error).message.split("\n")[0]})`);
  }
  lines.push(`OUI vendor data: ${OUI_DATA_DATE}, ${OUI_ENTRIES.toLocaleString("en")} prefixes (${OUI_DATA_SOURCE})`);
  return lines.join("\n");
}
