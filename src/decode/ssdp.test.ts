import { describe, expect, test } from "bun:test";
import { decodeSsdp } from "./ssdp.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("decodeSsdp", () => {
  test("M-SEARCH with lower-cased header names", () => {
    const b = text('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: urn:dial-multiscreen-org:service:dial:1\r\nUSER-AGENT: Google Chrome/120.0 Linux\r\n\r\n');
    expect(decodeSsdp(b, 0, b.length)).toEqual({
      method: "M-SEARCH",
      headers: { host: "239.255.255.250:1900", man: '"ssdp:discover"', mx: "1", st: "urn:dial-multiscreen-org:service:dial:1", "user-agent": "Google Chrome/120.0 Linux" },
    });
  });
  test("NOTIFY and a 200 response; a last header without CRLF counts", () => {
    const n = text("NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/3.14 UPnP/1.0 IpBridge/1.26.0\r\nLOCATION: http://192.168.1.2:80/description.xml");
    const m = decodeSsdp(n, 0, n.length)!;
    expect(m.method).toBe("NOTIFY");
    expect(m.headers.server).toBe("Linux/3.14 UPnP/1.0 IpBridge/1.26.0");
    expect(m.headers.location).toBe("http://192.168.1.2:80/description.xml");
    const r = text("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n");
    expect(decodeSsdp(r, 0, r.length)?.method).toBe("RESPONSE");
  });
  test("not SSDP, truncation", () => {
    const g = text("GET / HTTP/1.1\r\n\r\n");
    expect(decodeSsdp(g, 0, g.length)).toBeUndefined();
    const n = text("NOTIFY * HTTP/1.1\r\nNT: x\r\n\r\n");
    for (let i = 0; i <= n.length; i++) expect(() => decodeSsdp(n, 0, i)).not.toThrow();
    expect(decodeSsdp(n, 0, 10)).toBeUndefined();
  });
});
