/**
 * nDPI protocol names mapped to NetInsight's service and application names, so the corpus test
 * can compare our labels with ndpiReader's expected output (`.ndpi.out`).
 */

/**
 * nDPI wire protocols whose NetInsight service name differs; each maps to the names we accept
 * (first = canonical). Names absent from this table and from NDPI_APPLICATIONS are services
 * compared as they are, case-insensitively ("Gnutella", "VNC", "SIP").
 */
export const NDPI_SERVICES: Record<string, string[]> = {
  HTTP: ["HTTP"],
  HTTP_Proxy: ["HTTP", "HTTP-Proxy"],
  HTTP_Connect: ["HTTP"],
  TLS: ["TLS"],
  QUIC: ["QUIC"],
  DNS: ["DNS"],
  MDNS: ["mDNS"],
  LLMNR: ["LLMNR"],
  NetBIOS: ["NetBIOS", "SMB"],
  SMBv1: ["SMB", "NetBIOS"],
  SMBv23: ["SMB"],
  DHCP: ["DHCP"],
  DHCPV6: ["DHCPv6"],
  NTP: ["NTP"],
  SSDP: ["SSDP"],
  SSH: ["SSH"],
  FTP_CONTROL: ["FTP"],
  FTP_DATA: ["FTP-DATA", "FTP"],
  SMTP: ["SMTP"],
  SMTPS: ["SMTPS", "SMTP", "TLS"],
  IMAP: ["IMAP"],
  IMAPS: ["IMAPS", "IMAP", "TLS"],
  POP3: ["POP3"],
  POPS: ["POP3S", "POP3", "TLS"],
  RDP: ["RDP"],
  Telnet: ["Telnet"],
  ICMP: ["ICMP"],
  ICMPV6: ["ICMPv6"],
  IGMP: ["IGMP"],
  "MsSQL-TDS": ["MSSQL", "TDS"],
  "Whois-DAS": ["WHOIS"],
  Service_Location_Protocol: ["SLP"],
  BITCOIN: ["Bitcoin"],
  "NAT-PMP": ["NAT-PMP"],
  STUN: ["STUN"],
  DoH_DoT: ["TLS", "DoT"],
  Radius: ["RADIUS"],
  RSYNC: ["rsync"],
  WSD: ["WS-Discovery", "WSD"],
  IPSec: ["IPsec"],
  DCERPC: ["RPC", "DCERPC"],
};

/**
 * nDPI application names (the part after the dot in "TLS.Google", or a whole name that nDPI
 * gives without a wire protocol) mapped to NetInsight application names. A name mapped to null
 * is a protocol detail, not an application (MpegDash), and is not compared.
 */
export const NDPI_APPLICATIONS: Record<string, string | null> = {
  Google: "Google", GoogleServices: "Google", DataSaver: "Google", Crashlytics: "Google",
  GoogleDocs: "Google Docs", GoogleDrive: "Google Drive", GoogleMaps: "Google Maps", PlayStore: "Google Play",
  GMail: "Gmail", GoogleClassroom: "Google Classroom", GoogleCloud: "Google", YouTube: "YouTube",
  Apple: "Apple", AppleiCloud: "Apple iCloud", AppleiTunes: "Apple iTunes", AppleSiri: "Apple Siri",
  Microsoft: "Microsoft", Microsoft365: "Microsoft 365", Outlook: "Microsoft 365", MS_OneDrive: "OneDrive",
  Teams: "Microsoft Teams", Skype_Teams: "Microsoft Teams", Skype_TeamsCall: "Microsoft Teams",
  Azure: "Azure", WindowsUpdate: "Windows Update", Xbox: "Xbox Live", Bing: "Bing",
  Facebook: "Facebook", FacebookMessenger: "Facebook Messenger", Instagram: "Instagram", WhatsApp: "WhatsApp",
  Threads: "Threads", Twitter: "Twitter/X", Reddit: "Reddit", LinkedIn: "LinkedIn", Bluesky: "Bluesky",
  Mastodon: "Mastodon", Badoo: "Badoo", TikTok: "TikTok", Snapchat: "Snapchat", Pinterest: "Pinterest",
  WeChat: "WeChat", QQ: "QQ", Telegram: "Telegram", Signal: "Signal", Discord: "Discord", Line: "LINE",
  KakaoTalk: "KakaoTalk", KakaoTalk_Voice: "KakaoTalk", Viber: "Viber", Zoom: "Zoom", Webex: "Webex",
  AdobeConnect: "Adobe Connect", Fuze: "Fuze",
  Twitch: "Twitch", Vimeo: "Vimeo", Netflix: "Netflix", AmazonVideo: "Prime Video", DisneyPlus: "Disney+",
  Hulu: "Hulu", IFLIX: "iflix", iQIYI: "iQIYI", "1kxun": "1kxun", OCS: "OCS", Likee: "Likee",
  Spotify: "Spotify", Deezer: "Deezer", SoundCloud: "SoundCloud", Pandora: "Pandora", LastFM: "Last.fm",
  Dropbox: "Dropbox", Amazon: "Amazon", AmazonAWS: "Amazon AWS", Cloudflare: "Cloudflare",
  GitHub: "GitHub", GitLab: "GitLab", UbuntuONE: "Ubuntu", ntop: "ntop", Wikipedia: "Wikipedia",
  eBay: "eBay", CNN: "CNN", Bloomberg: "Bloomberg", AccuWeather: "AccuWeather", Pastebin: "Pastebin",
  NordVPN: "NordVPN", SurfShark: "Surfshark", HuaweiCloud: "Huawei Cloud", Playstation: "PlayStation Network",
  Steam: "Steam", ElectronicArts: "Electronic Arts", Activision: "Activision", ADS_Analytic_Track: "Ads/Analytics",
  NestLogSink: "Google Nest", Tuya: "Tuya", Akamai: "Akamai",
  // Protocol details nDPI reports in the application slot.
  MpegDash: null, DoH_DoT: null, SMBv1: null, SMBv23: null,
};

export interface NdpiLabel {
  /** Service names NetInsight may report for this flow; empty when nDPI names no wire protocol. */
  services: string[];
  /** The NetInsight application name; null when nDPI names none (or a protocol detail). */
  application: string | null;
  /** The nDPI application name, as written. */
  ndpiApplication: string | null;
}

/** Turns nDPI's "TLS.Google" / "Telegram" / "NetBIOS.SMBv1" into what we compare. */
export function mapNdpiProtocol(name: string): NdpiLabel {
  const dot = name.indexOf(".");
  const master = dot < 0 ? name : name.slice(0, dot);
  const sub = dot < 0 ? null : name.slice(dot + 1);
  if (sub === null && master in NDPI_APPLICATIONS && !(master in NDPI_SERVICES)) {
    return { services: [], application: NDPI_APPLICATIONS[master], ndpiApplication: master };
  }
  const services = [...(NDPI_SERVICES[master] ?? [master])];
  if (sub !== null && sub in NDPI_SERVICES) {
    for (const s of NDPI_SERVICES[sub]) if (!services.includes(s)) services.push(s);
  }
  const application = sub === null ? null : sub in NDPI_APPLICATIONS ? NDPI_APPLICATIONS[sub] : sub;
  return { services, application, ndpiApplication: sub };
}

/** Case-insensitive service comparison against the accepted names. */
export function serviceAgrees(ours: string | null, label: NdpiLabel): boolean {
  if (!ours) return false;
  const o = ours.toLowerCase();
  return label.services.some((s) => s.toLowerCase() === o);
}
