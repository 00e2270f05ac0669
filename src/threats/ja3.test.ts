import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeFile } from "../engine/analyze.ts";
import type { TlsClientHello } from "../decode/types.ts";
import { CORPUS, corpusNote } from "../../test/corpus.ts";
import { ja3, ja3String } from "./ja3.ts";

describe("JA3", () => {
  test("version, ciphers, extensions, groups and point formats; GREASE left out", () => {
    const hello: TlsClientHello = {
      version: 0x0303, supportedVersions: [], alpn: [], signatureAlgorithms: [], ja4: "",
      cipherSuites: [0x1a1a, 0x1301, 0xc02b], extensions: [0x2a2a, 0, 10, 11, 0x002b], supportedGroups: [0x3a3a, 29, 23], ecPointFormats: [0],
    };
    expect(ja3String(hello)).toBe("771,4865-49195,0-10-11-43,29-23,0");
    expect(ja3(hello)).toMatch(/^[0-9a-f]{32}$/);
    expect(ja3String({ ...hello, supportedGroups: undefined, ecPointFormats: undefined })).toBe("771,4865-49195,0-10-11-43,,");
  });

  describe.skipIf(!CORPUS)(`agrees with nDPI's JA3C on the corpus ${corpusNote}`, () => {
    test.each(["attacks/ndpi_emotet.pcap", "tls/ndpi_443-curl.pcap", "tls/ndpi_443-firefox.pcap", "tls/ndpi_443-safari.pcap",
      "dhcp/ndpi_android.pcap", "dns_tunnel/ndpi_dns2tcp_tunnel.pcap"])("%s", async (rel) => {
      const ours = new Set<string>();
      await analyzeFile(join(CORPUS!, rel), {
        analyzers: [{ name: "ja3", wants: ["tlsClientHello"], observe: (o) => { if (o.kind === "tlsClientHello") ours.add(ja3(o.msg)); } }],
      });
      const theirs = [...readFileSync(join(CORPUS!, `${rel}.ndpi.out`), "utf8").matchAll(/JA3C: ([0-9a-f]{32})/g)].map((m) => m[1]);
      expect(theirs.length).toBeGreaterThan(0);
      for (const fp of new Set(theirs)) expect(ours).toContain(fp);
    });
  });
});
