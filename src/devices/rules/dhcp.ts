/**
 * DHCPv4/DHCPv6 rules: vendor class (option 60), parameter request list (option 55, the classic
 * fingerprint, as fingerbank uses it) and DHCPv6 enterprise numbers.
 */
import type { Rule } from "./types.ts";

export const DHCP_RULES: Rule[] = [
  // Option 60 vendor class identifier.
  { on: "dhcp.vendor_class", match: /^MSFT( 5\.0| 98)?/, os: "Windows", w: 0.9 },
  { on: "dhcp.vendor_class", match: /^MSFT/, type: "computer", w: 0.4 },
  { on: "dhcp.vendor_class", match: /^android-dhcp-/i, os: "Android", w: 0.95 },
  { on: "dhcp.vendor_class", match: /^android-dhcp-/i, type: "phone", w: 0.5 },
  { on: "dhcp.vendor_class", match: /^dhcpcd-[\d.]+:Linux/i, os: "Linux", w: 0.8 },
  { on: "dhcp.vendor_class", match: /^dhcpcd-/i, os: "Linux", w: 0.4 },
  { on: "dhcp.vendor_class", match: /BCM27\d\d|BCM2835|BCM2836|BCM2837/, vendor: "Raspberry Pi", type: "computer", w: 0.6 },
  { on: "dhcp.vendor_class", match: /^udhcp /i, os: "Linux", w: 0.7 },
  { on: "dhcp.vendor_class", match: /^udhcp /i, type: "iot", w: 0.2 },
  { on: "dhcp.vendor_class", match: /^(ubnt|UBNT)/, vendor: "Ubiquiti", type: "router", w: 0.7 },
  { on: "dhcp.vendor_class", match: /^Cisco/, vendor: "Cisco", w: 0.6 },
  { on: "dhcp.vendor_class", match: /^TL-[A-Z]{2}\d/, vendor: "TP-Link", type: "router", w: 0.6 },
  { on: "dhcp.vendor_class", match: /^HUAWEI/i, vendor: "Huawei", w: 0.6 },
  { on: "dhcp.vendor_class", match: /^(Polycom|Yealink|Grandstream)/i, type: "iot", w: 0.6 },
  { on: "dhcp.vendor_class", match: /^(HP|Hewlett-Packard) ?(JetDirect|LaserJet|OfficeJet)/i, type: "printer", w: 0.8 },

  // Option 55 parameter request lists, exact orderings.
  { on: "dhcp.fingerprint", match: /^1,3,6,15,31,33,43,44,46,47,(119,)?121,249,252$/, os: "Windows", w: 0.75 },
  { on: "dhcp.fingerprint", match: /^1,15,3,6,44,46,47,31,33,121,249,43(,252)?$/, os: "Windows", w: 0.75 },
  { on: "dhcp.fingerprint", match: /^1,15,3,6,44,46,47,31,33,(121,249,)?(43,)?252$|^1,15,3,6,44,46,47,31,33,249,43$/, type: "computer", w: 0.3 },
  { on: "dhcp.fingerprint", match: /^1,121,3,6,15,(108,)?(114,)?119,252$/, os: "iOS", w: 0.6 },
  { on: "dhcp.fingerprint", match: /^1,121,3,6,15,(108,)?(114,)?119,252$/, vendor: "Apple", w: 0.6 },
  { on: "dhcp.fingerprint", match: /^1,121,3,6,15,(108,)?(114,)?119,252$/, type: "phone", w: 0.4 },
  { on: "dhcp.fingerprint", match: /^1,(121,)?3,6,15,(108,)?(114,)?119,(95,)?252,(95,)?44,46$/, os: "macOS", w: 0.7 },
  { on: "dhcp.fingerprint", match: /^1,(121,)?3,6,15,(108,)?(114,)?119,(95,)?252,(95,)?44,46$/, vendor: "Apple", w: 0.7 },
  { on: "dhcp.fingerprint", match: /^1,(121,)?3,6,15,(108,)?(114,)?119,(95,)?252,(95,)?44,46$/, type: "computer", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,3,6,15,26,28,51,58,59(,43)?(,114)?(,108)?$/, os: "Android", w: 0.7 },
  { on: "dhcp.fingerprint", match: /^1,3,6,15,26,28,51,58,59(,43)?(,114)?(,108)?$/, type: "phone", w: 0.4 },
  { on: "dhcp.fingerprint", match: /^1,33,3,6,15,28,51,58,59$/, os: "Android", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,28,2,3,15,6,119,12,44,47,26,121,42/, os: "Linux", w: 0.6 },
  { on: "dhcp.fingerprint", match: /^1,28,2,3,15,6,119,12,44,47,26,121,42/, type: "computer", w: 0.3 },
  { on: "dhcp.fingerprint", match: /^1,28,2,3,15,6,12(,|$)/, os: "Linux", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,121,33,3,6,12,15,26,28,42,51,54,58,59,119/, os: "Linux", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,3,6,12,15,28(,42)?(,|$)/, os: "Linux", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,3,6,12,15,28(,42)?$/, type: "iot", w: 0.2 },
  // lwIP (ESP8266/ESP32 and other microcontroller stacks).
  { on: "dhcp.fingerprint", match: /^1,3,28,6(,15,44,46,47,31,33,121,43)?$/, type: "iot", w: 0.5 },
  { on: "dhcp.fingerprint", match: /^1,3,6,15,66,67,13,44$/, type: "iot", w: 0.4 },

  // A host that answers DHCP is usually the router.
  { on: "dhcp.server", match: /./, type: "router", w: 0.5 },

  // DHCPv6 vendor class enterprise numbers (IANA PEN): 311 Microsoft.
  { on: "dhcpv6.enterprise", match: /^311$/, os: "Windows", w: 0.8 },
  { on: "dhcpv6.vendor_class", match: /^MSFT/, os: "Windows", w: 0.8 },
];
