/**
 * The shim's own classic-pcap reader against libpcap's, on every capture of the corpus (malformed
 * ones included): the same link type, the same packets byte for byte, the same damage point.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { CaptureFileError, openOffline } from "../src/capture/offline.ts";

const corpus = path.resolve(import.meta.dir, "../../shared/pcaps");
if (!existsSync(corpus)) console.warn(`pcap reader corpus test skipped: ${corpus} is absent`);

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(p);
  }
  return out;
}

interface Digest { linkType: number; snaplen: number; packets: number; hash: string; error: string | null; errorAt: number | null }

async function digest(file: string, reader: "auto" | "libpcap", filter?: string): Promise<Digest> {
  const src = await openOffline(file, { reader, filter, batchPackets: 97 });
  const h = createHash("sha1");
  let packets = 0, error: string | null = null, errorAt: number | null = null;
  try {
    for (let b = src.next(); b; b = src.next()) {
      h.update(b.bytes.subarray(0, b.used)); // headers, bytes and padding as the engine sees them
      packets += b.count;
    }
  } catch (e) {
    if (!(e instanceof CaptureFileError)) throw e;
    error = e.message.replace(/^.*: damaged after packet \d+: /, "");
    errorAt = e.packetsRead;
  } finally {
    src.close();
  }
  return { linkType: src.linkType, snaplen: src.snaplen, packets, hash: h.digest("hex"), error, errorAt };
}

describe.skipIf(!existsSync(corpus))("classic-pcap reader matches libpcap on the corpus", () => {
  const files = existsSync(corpus) ? captures(corpus) : [];

  test("the corpus has classic captures to compare", () => {
    expect(files.filter((f) => f.endsWith(".pcap")).length).toBeGreaterThan(50);
  });

  test.each(files.map((f) => [path.relative(corpus, f), f]))("%s", async (_name, file) => {
    const ours = await digest(file, "auto");
    const theirs = await digest(file, "libpcap");
    expect(ours).toEqual(theirs);
    if (ours.packets > 0) {
      // With a filter too: pcap_offline_filter on our records, pcap_setfilter on libpcap's. Some
      // link types cannot take this filter: then both must refuse it with the same message.
      const filtered = (reader: "auto" | "libpcap") => digest(file, reader, "tcp or arp").catch((e: Error) => e.message);
      expect(await filtered("auto")).toEqual(await filtered("libpcap"));
    }
  });
});
