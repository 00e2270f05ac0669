/**
 * "New device joined the network": the service calls `newDeviceThreat` from the device tracker's
 * onChange(device, isNew). Devices seen while NetInsight learns the network (the first run) are not news.
 */
import type { Device } from "../devices/model.ts";
import type { Threat } from "./model.ts";
import type { ThreatStore } from "./store.ts";

export function newDeviceThreat(store: ThreatStore, device: Device, ts = device.firstSeen): Threat | undefined {
  const name = device.name.value ?? device.hostname ?? device.vendor.value ?? device.mac;
  return store.raise({
    type: "new_device",
    severity: "low",
    title: `New device: ${name}`,
    description: `A device not seen before joined the network: ${name} (${device.mac}` +
      `${device.ips.length ? `, ${device.ips.join(", ")}` : ""}${device.vendor.value ? `, ${device.vendor.value}` : ""}).`,
    ts,
    sourceIp: device.ips[0] ?? null,
    sourceMac: device.mac,
    deviceId: device.id,
    key: `new_device|${device.id}`,
    evidence: {
      mac: device.mac,
      ips: device.ips,
      vendor: device.vendor.value ?? "",
      type: device.type.value ?? "unknown",
      hostname: device.hostname ?? "",
      randomizedMac: device.isRandomizedMac,
    },
  });
}
