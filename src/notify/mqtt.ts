/**
 * The MQTT channel: alerts on `<prefix>/alert` (QoS 1, through the outbox), retained state for
 * devices, threats and throughput, and Home Assistant MQTT discovery so they appear as entities
 * (a presence and a traffic sensor per device up to a cap, "active threats", throughput sensors).
 */
import { hostname } from "node:os";
import type { EditedDevice } from "../devices/edit.ts";
import type { LiveBus, LiveStats } from "../service/bus.ts";
import type { ServiceContext } from "../service/context.ts";
import type { Logger } from "../service/logger.ts";
import type { Threat } from "../threats/model.ts";
import { VERSION } from "../version.ts";
import { alertBody } from "./alert.ts";
import { MqttClient } from "./mqtt-client.ts";
import type { Channel } from "./notifier.ts";
import type { MqttTarget } from "./targets.ts";

/** Retained states are published at most this often (a busy network changes devices every second). */
export const STATE_EVERY_MS = 5_000;

export interface MqttChannelOptions {
  target: MqttTarget;
  /** PEM of extra CA certificates for mqtts:// (MQTT_CA_FILE). */
  ca?: string;
  prefix: string;
  discovery: boolean;
  discoveryPrefix: string;
  /** Devices with their own retained state and Home Assistant entities. */
  maxDevices: number;
  /** A device not seen for this long (relative to the newest activity) is away. */
  awayMinutes: number;
  bus: LiveBus;
  log: Logger;
  ctx?: ServiceContext;
  stateEveryMs?: number;
}

export interface MqttChannel extends Channel {
  readonly client: MqttClient;
  /** Publishes every retained state and discovery config now (tests; also on connect). */
  publishAll(): Promise<void>;
}

interface DeviceState { device: EditedDevice; dirty: boolean; present: boolean | null; discovered: boolean }

const topicSafe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");

export function mqttChannel(o: MqttChannelOptions): MqttChannel {
  const p = o.prefix.replace(/\/+$/, "");
  const dp = o.discoveryPrefix.replace(/\/+$/, "");
  const statusTopic = `${p}/status`;
  const devices = new Map<string, DeviceState>();
  const activeThreats = new Map<string, Threat>();
  let threatsDirty = true;
  let stats: LiveStats | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let unsubscribe: (() => void) | null = null;
  let ready: (() => void) | null = null;

  const client: MqttClient = new MqttClient({
    host: o.target.host, port: o.target.port, tls: o.target.tls, ca: o.ca, username: o.target.username, password: o.target.password,
    clientId: `netinsight-${topicSafe(hostname())}-${Math.random().toString(36).slice(2, 8)}`,
    will: { topic: statusTopic, payload: "offline", retain: true, qos: 1 },
    onConnect: () => {
      o.log.info(`mqtt: connected to ${o.target.host}:${o.target.port}`);
      ready?.();
      void publishAll().catch((err) => o.log.warn(`mqtt: publishing state failed: ${(err as Error).message}`));
    },
    onError: (m) => o.log.warn(`mqtt: ${o.target.host}:${o.target.port}: ${m}; retrying in the background (alerts wait in the outbox)`),
  });

  const haDevice = { identifiers: ["netinsight"], name: "NetInsight", manufacturer: "NetInsight", model: "network analyzer", sw_version: VERSION };
  const common = { availability_topic: statusTopic, payload_available: "online", payload_not_available: "offline" };
  const pub = (topic: string, payload: unknown, retain = true) =>
    client.publish(topic, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 0, retain });

  function admit(d: EditedDevice): DeviceState | null {
    let s = devices.get(d.id);
    if (s) {
      s.device = d;
      s.dirty = true;
      return s;
    }
    if (devices.size >= o.maxDevices) return null;
    s = { device: d, dirty: true, present: null, discovered: false };
    devices.set(d.id, s);
    return s;
  }

  /** Presence is judged against the newest activity seen, so a replayed capture reads like a live one. */
  function refreshPresence(): void {
    let clock = 0;
    for (const s of devices.values()) clock = Math.max(clock, s.device.lastSeen);
    for (const s of devices.values()) {
      const present = clock - s.device.lastSeen < o.awayMinutes * 60;
      if (present !== s.present) {
        s.present = present;
        s.dirty = true;
      }
    }
  }

  function deviceState(s: DeviceState) {
    const d = s.device;
    return {
      presence: s.present ? "ON" : "OFF", id: d.id, mac: d.mac, ip: d.ips.find((ip) => !ip.includes(":")) ?? d.ips[0] ?? null, ips: d.ips,
      name: d.edit?.name ?? d.name.value ?? d.hostname ?? d.mac, vendor: d.vendor.value, type: d.edit?.type ?? d.type.value,
      known: d.edit?.known ?? false, lastSeen: new Date(d.lastSeen * 1000).toISOString(),
      bytes: d.bytesSent + d.bytesReceived, bytesSent: d.bytesSent, bytesReceived: d.bytesReceived,
    };
  }

  async function discoverDevice(s: DeviceState): Promise<void> {
    const d = s.device;
    const node = `netinsight_${topicSafe(d.id)}`;
    const stateTopic = `${p}/device/${topicSafe(d.id)}/state`;
    const device = {
      identifiers: [node], name: d.edit?.name ?? d.name.value ?? d.hostname ?? d.mac, connections: [["mac", d.mac]],
      manufacturer: d.vendor.value ?? undefined, via_device: "netinsight",
    };
    await pub(`${dp}/binary_sensor/${node}/presence/config`, {
      ...common, name: "Presence", unique_id: `${node}_presence`, object_id: `${node}_presence`, state_topic: stateTopic,
      value_template: "{{ value_json.presence }}", device_class: "presence", json_attributes_topic: stateTopic, device,
    });
    await pub(`${dp}/sensor/${node}/traffic/config`, {
      ...common, name: "Traffic", unique_id: `${node}_traffic`, object_id: `${node}_traffic`, state_topic: stateTopic,
      value_template: "{{ value_json.bytes }}", unit_of_measurement: "B", device_class: "data_size", state_class: "total_increasing", device,
    });
    s.discovered = true;
  }

  async function discoverGlobal(): Promise<void> {
    const sensor = (id: string, name: string, topic: string, template: string, extra: Record<string, unknown> = {}) =>
      pub(`${dp}/sensor/netinsight/${id}/config`, {
        ...common, name, unique_id: `netinsight_${id}`, object_id: `netinsight_${id}`, state_topic: topic, value_template: template, device: haDevice, ...extra,
      });
    await pub(`${dp}/binary_sensor/netinsight/active_threats/config`, {
      ...common, name: "Active threats", unique_id: "netinsight_active_threats", object_id: "netinsight_active_threats",
      state_topic: `${p}/threats/state`, value_template: "{{ 'ON' if value_json.active > 0 else 'OFF' }}", device_class: "problem",
      json_attributes_topic: `${p}/threats/state`, device: haDevice,
    });
    await sensor("threats", "Threats active", `${p}/threats/state`, "{{ value_json.active }}", { state_class: "measurement" });
    await sensor("throughput", "Throughput", `${p}/stats`, "{{ value_json.bitsPerSecond }}", { unit_of_measurement: "bit/s", device_class: "data_rate", state_class: "measurement" });
    await sensor("packets_per_second", "Packets per second", `${p}/stats`, "{{ value_json.packetsPerSecond }}", { unit_of_measurement: "packets/s", state_class: "measurement" });
    await sensor("active_flows", "Active flows", `${p}/stats`, "{{ value_json.activeFlows }}", { state_class: "measurement" });
    await sensor("devices", "Devices", `${p}/stats`, "{{ value_json.devices }}", { state_class: "measurement" });
    await sensor("drops", "Dropped packets", `${p}/stats`, "{{ value_json.drops }}", { state_class: "total_increasing" });
    await sensor("last_alert", "Last alert", `${p}/alert/last`, "{{ value_json.title[:250] }}", { json_attributes_topic: `${p}/alert/last` });
  }

  async function publishStates(force: boolean): Promise<void> {
    if (!client.connected) return;
    refreshPresence();
    for (const s of devices.values()) {
      if (o.discovery && (!s.discovered || force)) await discoverDevice(s);
      if (s.dirty || force) {
        s.dirty = false;
        await pub(`${p}/device/${topicSafe(s.device.id)}/state`, deviceState(s));
      }
    }
    if (threatsDirty || force) {
      threatsDirty = false;
      const bySeverity: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
      for (const t of activeThreats.values()) bySeverity[t.severity]++;
      const latest = [...activeThreats.values()].sort((a, b) => b.lastSeen - a.lastSeen)[0];
      await pub(`${p}/threats/state`, { active: activeThreats.size, ...bySeverity, latest: latest ? latest.title : null });
    }
    if (stats) {
      await pub(`${p}/stats`, {
        bitsPerSecond: Math.round(stats.bytesPerSecond * 8), packetsPerSecond: Math.round(stats.packetsPerSecond),
        activeFlows: stats.activeFlows, devices: stats.devices, drops: stats.drops, packets: stats.packets, bytes: stats.bytes,
      });
    }
  }

  async function publishAll(): Promise<void> {
    await pub(statusTopic, "online");
    if (o.discovery) await discoverGlobal();
    await publishStates(true);
  }

  async function loadInitial(): Promise<void> {
    if (!o.ctx) return;
    const [list, threats] = await Promise.all([o.ctx.devices.list(), o.ctx.threats.list({ activeOnly: true })]);
    for (const d of [...list].sort((a, b) => b.lastSeen - a.lastSeen)) admit(d as EditedDevice);
    for (const t of threats) activeThreats.set(t.id, t);
    threatsDirty = true;
  }

  return {
    name: `mqtt:${o.target.host}:${o.target.port}`,
    client,
    publishAll,
    onReady(fn) {
      ready = fn;
    },
    start() {
      unsubscribe = o.bus.subscribe((e) => {
        if (e.type === "device") admit(e.data);
        else if (e.type === "stats") stats = e.data;
        else if (e.type === "threat") {
          if (e.data.status === "active") activeThreats.set(e.data.id, e.data);
          else activeThreats.delete(e.data.id);
          threatsDirty = true;
        }
      });
      // Home Assistant announces its own restart: it then needs every discovery config again.
      client.subscribe(`${dp}/status`, (_t, payload) => {
        if (payload.toString() === "online") void publishAll().catch(() => undefined);
      });
      void loadInitial().catch((err) => o.log.warn(`mqtt: could not read devices and threats: ${(err as Error).message}`)).finally(() => client.start());
      timer = setInterval(() => void publishStates(false).catch(() => undefined), o.stateEveryMs ?? STATE_EVERY_MS);
      (timer as { unref?: () => void }).unref?.();
    },
    async deliver(alert) {
      const body = JSON.stringify(alertBody(alert));
      await client.publish(`${p}/alert`, body, { qos: 1 });
      await client.publish(`${p}/alert/last`, body, { qos: 1, retain: true });
    },
    async close() {
      unsubscribe?.();
      if (timer) clearInterval(timer);
      if (client.connected) await pub(statusTopic, "offline").catch(() => undefined);
      await client.close();
    },
  };
}
