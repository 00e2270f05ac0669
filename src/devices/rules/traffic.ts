/** Rules on what devices send: HTTP/SSDP User-Agents, DNS/SNI names, JA4, TCP SYN traits, banners. */
import { P0F_APPLE_CATCH_ALL, P0F_SIGNATURES, synMatcher } from "./p0f.ts";
import { AGENT_SIGNALS, NAME_SIGNALS, type Rule } from "./types.ts";

const UA = AGENT_SIGNALS;
const N = NAME_SIGNALS;

export const AGENT_RULES: Rule[] = [
  { on: UA, match: /Windows NT|Win64|WinHttp|Microsoft-CryptoAPI|Microsoft-Delivery-Optimization|Windows-Update-Agent|Microsoft NCSI/i, os: "Windows", w: 0.6 },
  { on: UA, match: /Windows NT/i, type: "computer", w: 0.4 },
  { on: UA, match: /\((iPhone|iPod)[;)].*OS \d/i, os: "iOS", type: "phone", vendor: "Apple", w: 0.7 },
  { on: UA, match: /\(iPad[;)].*OS \d/i, os: "iOS", type: "tablet", vendor: "Apple", w: 0.7 },
  { on: UA, match: /\(Macintosh;/i, os: "macOS", type: "computer", vendor: "Apple", w: 0.6 },
  { on: UA, match: /CFNetwork\/|Darwin\/\d/i, vendor: "Apple", w: 0.5 },
  { on: UA, match: /\biOS\/\d|iPhone OS/i, os: "iOS", vendor: "Apple", w: 0.5 },
  { on: UA, match: /Android/i, os: "Android", w: 0.7 },
  { on: UA, match: /Android.*Mobile/i, type: "phone", w: 0.5 },
  { on: UA, match: /Dalvik\//i, os: "Android", w: 0.6 },
  { on: UA, match: /\bCrOS\b/, os: "ChromeOS", type: "computer", w: 0.8 },
  { on: UA, match: /X11; (Ubuntu; )?Linux|Ubuntu|Debian|Fedora/i, os: "Linux", w: 0.5 },
  { on: UA, match: /X11; (Ubuntu; )?Linux/i, type: "computer", w: 0.4 },
  { on: UA, match: /SmartTV|SMART-TV|Tizen.*TV|Web0S|webOS.*TV|BRAVIA|HbbTV|\bAFT[A-Z]{1,3}\b|AppleTV|tvOS|Roku/i, type: "tv", w: 0.7 },
  { on: UA, match: /PlayStation|Xbox|Nintendo/i, type: "game_console", w: 0.7 },
  { on: UA, match: /Kindle|Silk\//i, type: "tablet", vendor: "Amazon", w: 0.6 },
  { on: UA, match: /Sonos/i, type: "speaker", vendor: "Sonos", w: 0.6 },
  { on: UA, match: /okhttp\//i, os: "Android", w: 0.3 },
];

export const DOMAIN_RULES: Rule[] = [
  { on: N, match: /^(connectivitycheck\.(gstatic|android)\.com|android\.clients\.google\.com|play\.googleapis\.com|android\.googleapis\.com)$/i, os: "Android", w: 0.6 },
  { on: N, match: /^captive\.apple\.com$/i, vendor: "Apple", w: 0.6 },
  { on: N, match: /(^|\.)(apple\.com|icloud\.com|mzstatic\.com|apple-dns\.net|cdn-apple\.com)$/i, vendor: "Apple", w: 0.4 },
  { on: N, match: /^(www\.)?(msftconnecttest\.com|msftncsi\.com)$|(^|\.)(windowsupdate\.com|update\.microsoft\.com|wns\.windows\.com)$|^settings-win\.data\.microsoft\.com$/i, os: "Windows", w: 0.6 },
  { on: N, match: /(^|\.)xboxlive\.com$/i, type: "game_console", vendor: "Microsoft", w: 0.5 },
  { on: N, match: /(^|\.)playstation\.(net|com)$/i, type: "game_console", vendor: "Sony", w: 0.6 },
  { on: N, match: /(^|\.)nintendo\.net$/i, type: "game_console", vendor: "Nintendo", w: 0.6 },
  { on: N, match: /(^|\.)roku\.com$/i, type: "tv", vendor: "Roku", w: 0.5 },
  { on: N, match: /(^|\.)(amazonalexa\.com)$|^(device-metrics-us|avs-alexa[\w-]*)\.amazon\.com$/i, type: "speaker", vendor: "Amazon", w: 0.4 },
  { on: N, match: /^(connectivity-check\.ubuntu\.com|nmcheck\.gnome\.org)$|(^|\.)(ubuntu\.com|debian\.org|fedoraproject\.org)$/i, os: "Linux", w: 0.5 },
  { on: N, match: /(^|\.)raspberrypi\.(org|com)$/i, os: "Linux", vendor: "Raspberry Pi", w: 0.4 },
  { on: N, match: /(^|\.)(tplinkcloud\.com|tplinkra\.com)$/i, type: "iot", vendor: "TP-Link", w: 0.4 },
  { on: N, match: /(^|\.)meethue\.com$/i, type: "iot", vendor: "Philips", w: 0.6 },
  { on: N, match: /(^|\.)(xbcs\.net|belkin\.com)$/i, type: "iot", vendor: "Belkin", w: 0.4 },
  { on: N, match: /(^|\.)withings\.(net|com)$/i, type: "iot", vendor: "Withings", w: 0.5 },
  { on: N, match: /(^|\.)fitbit\.com$/i, type: "iot", w: 0.4 },
  { on: N, match: /(^|\.)(tuyaus|tuyaeu|tuyacn)\.com$/i, type: "iot", w: 0.5 },
  { on: N, match: /(^|\.)(mydlink\.com)$/i, type: "camera", vendor: "D-Link", w: 0.4 },
  { on: N, match: /(^|\.)(hik-connect\.com|ezvizlife\.com)$/i, type: "camera", w: 0.6 },
  { on: N, match: /(^|\.)(sonos\.com)$/i, type: "speaker", vendor: "Sonos", w: 0.4 },
];

export const STACK_RULES: Rule[] = [
  // JA4 cipher hash of Apple's CFNetwork/Safari stack, as seen from the iPhone in nDPI's iphone.pcap.
  { on: "tls.ja4", match: /^t1[23]d\d{4}(h2|ht|h1|00)_2802a3db6c62_/, vendor: "Apple", w: 0.4 },
  { on: "ssh.banner", match: /Ubuntu|Debian|Raspbian/i, os: "Linux", w: 0.6 },
  { on: "ssh.banner", match: /dropbear/i, os: "Linux", w: 0.4 },
  { on: "ssh.banner", match: /Windows/i, os: "Windows", w: 0.5 },
  { on: ["netbios.name"], match: /./, os: "Windows", w: 0.25 },
  { on: ["llmnr.name"], match: /./, os: "Windows", w: 0.2 },
  { on: "gateway", match: /./, type: "router", w: 0.7 },
  ...P0F_SIGNATURES.map(([sig, os, w]): Rule => ({ on: "tcp.syn", match: synMatcher(sig), os, w })),
  { on: "tcp.syn", match: synMatcher(P0F_APPLE_CATCH_ALL), vendor: "Apple", w: 0.3 },
];
