/**
 * The detection lab: a home network built from network namespaces on a bridge, with the servers the
 * matrix rows attack (sshd, vsftpd, inetutils telnetd, lighttpd), a router (dnsmasq: DNS, DHCP, RA)
 * that forwards to an "internet" namespace (web servers, iodined, dns2tcpd), and the hosts that run
 * the tools. record.ts records each CASES.tsv row from it; matrix.test.ts runs rows live on it.
 * Only addresses inside the namespaces (10.213.77-79.x, fd77::/64); every name contains "matrix".
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const LAN = "10.213.77";
export const WAN = "10.213.78";
export const TUN = "10.213.79";
export const SBIN = { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" };

export const HOSTS = {
  gw: { ip: `${LAN}.1`, mac: "02:77:00:00:00:01" },
  nas: { ip: `${LAN}.10`, mac: "02:77:00:00:00:10" },
  laptop: { ip: `${LAN}.21`, mac: "02:77:00:00:00:21" },
  tv: { ip: `${LAN}.22`, mac: "02:77:00:00:00:22" },
  console: { ip: `${LAN}.23`, mac: "02:77:00:00:00:23" },
  phone: { ip: `${LAN}.24`, mac: "02:77:00:00:00:24" },
  client: { ip: "", mac: "02:77:00:00:00:30" }, // gets its address by DHCP
  attacker: { ip: `${LAN}.66`, mac: "02:77:00:00:00:66" },
} as const;
export type Host = keyof typeof HOSTS;
export type Server = "sshd" | "vsftpd" | "telnetd" | "lighttpd" | "dhcp" | "ra" | "web" | "iodined" | "dns2tcpd";

/** Addresses in the "internet" namespace, one per web name (the router's DNS points names at them). */
export const WEB_IPS = Array.from({ length: 40 }, (_, i) => `${WAN}.${10 + i}`);
export const IODINE_IP = `${WAN}.53`;
export const DNS2TCP_IP = `${WAN}.54`;
export const IODINE_DOMAIN = "t.tunnel.test";
export const DNS2TCP_DOMAIN = "d.tunnel.test";
export const TUNNEL_SECRET = "matrixsecret";
/** Top-level domains the router answers NXDOMAIN for (what a resolver says of unregistered DGA names). */
const NX_TLDS = ["com", "net", "org", "info", "biz", "ru", "top", "xyz", "cn"];

const has = (t: string) => Bun.which(t) !== null || Bun.which(t, SBIN) !== null;
export const missingTools = (tools: string[]) => tools.filter((t) => !has(t));

function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...SBIN } });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}
const quiet = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore", env: { ...process.env, ...SBIN } });

export class Lab {
  readonly tag: string;
  readonly bridge: string;
  readonly work: string;
  private daemons: ReturnType<typeof Bun.spawn>[] = [];
  /** Names the router resolves (name -> address in the internet namespace). */
  readonly names = new Map<string, string>();

  constructor(tag = String(process.pid % 10000)) {
    this.tag = tag;
    this.bridge = `matrix${tag}`;
    this.work = mkdtempSync(join(tmpdir(), "matrix-lab-"));
    chmodSync(this.work, 0o755);
  }

  ns(h: Host | "inet"): string {
    return `matrix-${this.tag}-${h}`;
  }

  inNs(h: Host | "inet", cmd: string[]): string[] {
    return ["ip", "netns", "exec", this.ns(h), ...cmd];
  }

  /** Bridge in the root namespace (so a capture can open it), one namespace per host, the internet behind the router. */
  up(): void {
    this.down(false);
    sh(["ip", "link", "add", "name", this.bridge, "type", "bridge"]);
    quiet(["sysctl", "-qw", `net.ipv6.conf.${this.bridge}.disable_ipv6=1`]);
    sh(["ip", "link", "set", this.bridge, "up"]);
    let i = 0;
    for (const [h, { ip, mac }] of Object.entries(HOSTS) as [Host, (typeof HOSTS)[Host]][]) {
      const ns = this.ns(h);
      const outer = `${this.bridge}h${i++}`;
      sh(["ip", "netns", "add", ns]);
      sh(["ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      quiet(["sysctl", "-qw", `net.ipv6.conf.${outer}.disable_ipv6=1`]);
      sh(["ip", "link", "set", outer, "master", this.bridge, "up"]);
      sh(this.inNs(h, ["ip", "link", "set", "eth0", "address", mac]));
      sh(this.inNs(h, ["ip", "link", "set", "lo", "up"]));
      sh(this.inNs(h, ["ip", "link", "set", "eth0", "up"]));
      // `ip netns exec` shows each namespace its own /etc/netns/NAME/resolv.conf: the router's DNS.
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, `nameserver ${HOSTS.gw.ip}\n`);
      if (ip) {
        sh(this.inNs(h, ["ip", "addr", "add", `${ip}/24`, "dev", "eth0"]));
        if (h !== "gw") sh(this.inNs(h, ["ip", "route", "add", "default", "via", HOSTS.gw.ip]));
      }
    }
    // The internet: a namespace behind the router's second port, with many server addresses.
    const inet = this.ns("inet");
    sh(["ip", "netns", "add", inet]);
    sh(["ip", "link", "add", "wan0", "netns", this.ns("gw"), "type", "veth", "peer", "name", "eth0", "netns", inet]);
    sh(this.inNs("gw", ["ip", "addr", "add", `${WAN}.1/24`, "dev", "wan0"]));
    sh(this.inNs("gw", ["ip", "link", "set", "wan0", "up"]));
    sh(this.inNs("gw", ["sysctl", "-qw", "net.ipv4.ip_forward=1"]));
    sh(this.inNs("inet", ["ip", "link", "set", "lo", "up"]));
    sh(this.inNs("inet", ["ip", "link", "set", "eth0", "up"]));
    for (const a of [`${WAN}.2`, ...WEB_IPS, IODINE_IP, DNS2TCP_IP]) sh(this.inNs("inet", ["ip", "addr", "add", `${a}/24`, "dev", "eth0"]));
    sh(this.inNs("inet", ["ip", "route", "add", `${LAN}.0/24`, "via", `${WAN}.1`]));
  }

  down(removeWork = true): void {
    for (const d of this.daemons) d.kill("SIGKILL");
    this.daemons = [];
    for (const h of [...Object.keys(HOSTS), "inet"] as (Host | "inet")[]) {
      const pids = Bun.spawnSync(["ip", "netns", "pids", this.ns(h)], { stdout: "pipe", stderr: "ignore" }).stdout.toString().split(/\s+/).filter(Boolean);
      for (const p of pids) quiet(["kill", "-9", p]);
      quiet(["ip", "netns", "del", this.ns(h)]);
      rmSync(`/etc/netns/${this.ns(h)}`, { recursive: true, force: true });
    }
    // A namespace outlives `ip netns del` while anything still holds it (a dying tunnel client): its
    // veth would then block the next lab of the same tag, so delete the bridge side explicitly.
    for (let i = 0; i < Object.keys(HOSTS).length; i++) quiet(["ip", "link", "del", `${this.bridge}h${i}`]);
    quiet(["ip", "link", "del", this.bridge]);
    if (removeWork) rmSync(this.work, { recursive: true, force: true });
  }

  file(name: string, content: string | Uint8Array): string {
    const p = join(this.work, name);
    writeFileSync(p, content);
    return p;
  }

  daemon(h: Host | "inet", cmd: string[], cwd = this.work): void {
    this.daemons.push(Bun.spawn(this.inNs(h, cmd), { stdout: "ignore", stderr: "ignore", env: { ...process.env, ...SBIN }, cwd }));
  }

  /** Runs a shell command line in a host's namespace to completion (or SIGINT after timeoutMs). */
  async run(h: Host | "inet", line: string, timeoutMs = 120_000): Promise<string> {
    const p = Bun.spawn(this.inNs(h, ["sh", "-c", line]), {
      stdout: "pipe", stderr: "pipe", env: { ...process.env, ...SBIN, HOME: this.work }, cwd: this.work,
    });
    const timer = setTimeout(() => p.kill("SIGINT"), timeoutMs);
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    clearTimeout(timer);
    return out + err;
  }

  /** Runs one program (no shell: arguments reach it exactly as given) in a host's namespace to completion. */
  async exec(h: Host | "inet", argv: string[], timeoutMs = 60_000): Promise<string> {
    const p = Bun.spawn(this.inNs(h, argv), { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...SBIN }, cwd: this.work });
    const timer = setTimeout(() => p.kill("SIGINT"), timeoutMs);
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    clearTimeout(timer);
    return out + err;
  }

  /** The router's DNS (always) and the servers a row needs. */
  async start(servers: Server[]): Promise<void> {
    const want = new Set(servers);
    this.startRouter(want.has("dhcp"), want.has("ra"));
    if (want.has("sshd")) this.startSshd();
    if (want.has("vsftpd")) this.startVsftpd();
    if (want.has("telnetd")) this.daemon("nas", ["socat", "TCP-LISTEN:23,reuseaddr,fork", "EXEC:/usr/sbin/telnetd,nofork"]);
    if (want.has("lighttpd")) this.startLighttpd("nas", `${this.work}/nas-www`, true);
    if (want.has("web")) this.startWeb();
    if (want.has("iodined")) this.daemon("inet", ["iodined", "-f", "-c", "-P", TUNNEL_SECRET, "-l", IODINE_IP, `${TUN}.1/24`, IODINE_DOMAIN]);
    if (want.has("dns2tcpd")) this.startDns2tcpd();
    await Bun.sleep(1200);
  }

  private startRouter(dhcp: boolean, ra: boolean): void {
    const hosts = [...this.names].map(([n, ip]) => `${ip} ${n}`).join("\n");
    this.file("router-hosts", `${HOSTS.gw.ip} router.home\n${HOSTS.nas.ip} nas.home\n${hosts}\n`);
    const args = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--interface=eth0", "--bind-interfaces", "--no-resolv",
      "--no-hosts", `--addn-hosts=${this.work}/router-hosts`, ...NX_TLDS.map((t) => `--local=/${t}/`),
      `--server=/${IODINE_DOMAIN}/${IODINE_IP}`, `--server=/${DNS2TCP_DOMAIN}/${DNS2TCP_IP}`, `--pid-file=${this.work}/gw.pid`,
      `--dhcp-leasefile=${this.work}/gw.leases`, "--user=root"];
    if (dhcp) args.push(`--dhcp-range=${LAN}.100,${LAN}.150,255.255.255.0,1h`, `--dhcp-option=3,${HOSTS.gw.ip}`,
      `--dhcp-option=6,${HOSTS.gw.ip}`, "--dhcp-authoritative", "--domain=home");
    if (ra) {
      sh(this.inNs("gw", ["ip", "addr", "add", "fd77::1/64", "dev", "eth0", "nodad"]));
      args.push("--enable-ra", "--dhcp-range=fd77::,ra-only,64");
    }
    this.daemon("gw", args);
  }

  private startSshd(): void {
    quiet(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${this.work}/hostkey`]);
    quiet(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${this.work}/clientkey`]);
    this.file("authorized_keys", Bun.spawnSync(["cat", `${this.work}/clientkey.pub`]).stdout.toString());
    this.file("sshd_config", [`HostKey ${this.work}/hostkey`, "ListenAddress 0.0.0.0", "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no", "UsePAM no", "Subsystem sftp /usr/lib/openssh/sftp-server", "PermitRootLogin yes", "StrictModes no", "MaxStartups 100:30:200",
      `AuthorizedKeysFile ${this.work}/authorized_keys`, `PidFile ${this.work}/sshd.pid`, ""].join("\n"));
    mkdirSync("/run/sshd", { recursive: true });
    this.daemon("nas", [Bun.which("sshd", SBIN) ?? "/usr/sbin/sshd", "-D", "-e", "-f", `${this.work}/sshd_config`]);
  }

  private startVsftpd(): void {
    mkdirSync("/var/run/vsftpd/empty", { recursive: true });
    this.file("vsftpd.conf", ["listen=YES", "listen_ipv6=NO", "background=NO", "anonymous_enable=NO", "local_enable=YES",
      "pam_service_name=vsftpd", "secure_chroot_dir=/var/run/vsftpd/empty", "seccomp_sandbox=NO", "max_per_ip=0", ""].join("\n"));
    this.daemon("nas", ["vsftpd", `${this.work}/vsftpd.conf`]);
  }

  private startLighttpd(h: Host | "inet", root: string, auth: boolean): void {
    mkdirSync(`${root}/private`, { recursive: true });
    writeFileSync(`${root}/index.html`, "<html><body><h1>NAS</h1></body></html>\n");
    writeFileSync(`${root}/private/index.html`, "secret files\n");
    this.file(`htpasswd-${h}`, "admin:correct-horse-battery\n");
    const conf = [`server.document-root = "${root}"`, "server.port = 80", `server.pid-file = "${this.work}/lighttpd-${h}.pid"`,
      'server.username = ""', 'index-file.names = ( "index.html" )', 'mimetype.assign = ( ".html" => "text/html", "" => "application/octet-stream" )'];
    if (auth) conf.push('server.modules += ( "mod_auth", "mod_authn_file" )', 'auth.backend = "plain"',
      `auth.backend.plain.userfile = "${this.work}/htpasswd-${h}"`,
      'auth.require = ( "/private/" => ( "method" => "basic", "realm" => "nas", "require" => "valid-user" ) )');
    this.file(`lighttpd-${h}.conf`, conf.join("\n") + "\n");
    this.daemon(h, ["lighttpd", "-D", "-f", `${this.work}/lighttpd-${h}.conf`]);
  }

  /** Web servers of the internet: HTTP (lighttpd) on :80 and HTTPS (openssl s_server) on :443 of every address. */
  private startWeb(): void {
    const root = `${this.work}/inet-www`;
    mkdirSync(root, { recursive: true });
    this.startLighttpd("inet", root, false);
    quiet(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${this.work}/key.pem`, "-out",
      `${this.work}/cert.pem`, "-days", "2", "-subj", "/CN=cdn.example"]);
    this.daemon("inet", ["openssl", "s_server", "-quiet", "-accept", "443", "-cert", `${this.work}/cert.pem`, "-key",
      `${this.work}/key.pem`, "-WWW"], root);
  }

  private startDns2tcpd(): void {
    const conf = this.file("dns2tcpd.conf", [`listen = ${DNS2TCP_IP}`, "port = 53", "user = nobody", `chroot = /var/empty`,
      `domain = ${DNS2TCP_DOMAIN}`, `resources = sink:127.0.0.1:9000`, ""].join("\n"));
    mkdirSync("/var/empty", { recursive: true });
    this.daemon("inet", ["socat", "-u", "TCP-LISTEN:9000,reuseaddr,fork", "OPEN:/dev/null"]);
    this.daemon("inet", ["dns2tcpd", "-F", "-f", conf]);
  }
}
