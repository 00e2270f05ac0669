import { describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { syslogChannel, syslogMessage } from "./syslog.ts";
import { parseSyslogUrl } from "./targets.ts";
import { alert } from "./testing.ts";

/** RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG */
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\d+) (\S+) (\[.*?[^\\]\]) (.*)$/s;

describe("syslog", () => {
  test("an RFC 5424 message: local0 and the severity in PRI, escaped structured data", () => {
    const msg = syslogMessage(alert({ title: 'Scan of "x"]', severity: "critical" }), "pi5");
    const m = RFC5424.exec(msg)!;
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBe(16 * 8 + 2);
    expect(m[2]).toBe("2027-01-15T08:00:00.000Z");
    expect([m[3], m[4], m[6]]).toEqual(["pi5", "netinsight", "threat"]);
    expect(m[7]).toBe('[netinsight@32473 kind="threat" key="threat:1" severity="critical" count="1" link="http://pi:8000/#threat-1"]');
    expect(m[8]).toBe('Scan of "x"]: 120 ports in 60 s');
    expect(Number(RFC5424.exec(syslogMessage(alert({ severity: "low" })))![1])).toBe(16 * 8 + 5);
  });

  test("over UDP to a listener", async () => {
    const sock = createSocket("udp4");
    const got: string[] = [];
    sock.on("message", (b) => got.push(b.toString()));
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    const ch = syslogChannel(parseSyslogUrl(`udp://127.0.0.1:${sock.address().port}`));
    await ch.deliver(alert(), new AbortController().signal);
    for (let i = 0; i < 100 && got.length === 0; i++) await Bun.sleep(10);
    expect(got).toEqual([syslogMessage(alert())]);
    await ch.close?.();
    sock.close();
  });

  test("over TCP with octet counting, reconnecting after the listener drops the connection", async () => {
    let data = "";
    const conns: import("node:net").Socket[] = [];
    const srv = createServer((c) => {
      conns.push(c);
      c.on("data", (b) => (data += b.toString()));
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const ch = syslogChannel(parseSyslogUrl(`tcp://127.0.0.1:${port}`));
    const signal = new AbortController().signal;
    await ch.deliver(alert({ title: "one" }), signal);
    await ch.deliver(alert({ title: "two" }), signal);
    for (let i = 0; i < 100 && !data.includes("two"); i++) await Bun.sleep(10);
    for (const c of conns) c.destroy();
    await Bun.sleep(50);
    await ch.deliver(alert({ title: "three" }), signal).catch(() => ch.deliver(alert({ title: "three" }), signal));
    for (let i = 0; i < 100 && !data.includes("three"); i++) await Bun.sleep(10);
    const frames: string[] = [];
    for (let rest = data; rest.length;) {
      const sp = rest.indexOf(" ");
      const len = Number(rest.slice(0, sp));
      const bytes = Buffer.from(rest.slice(sp + 1));
      frames.push(bytes.subarray(0, len).toString());
      rest = bytes.subarray(len).toString();
    }
    expect(frames.map((f) => RFC5424.exec(f)![8])).toEqual(["one: 120 ports in 60 s", "two: 120 ports in 60 s", "three: 120 ports in 60 s"]);
    expect(conns.length).toBe(2);
    await ch.close?.();
    srv.close();
  });
});
