import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../config.ts";

const load = (flags: Record<string, string>) => loadConfig({ flags: { DATABASE_PATH: "/tmp/x.db", ...flags }, env: {}, cwd: "/nonexistent" });
const error = (flags: Record<string, string>) => {
  try {
    load(flags);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("notification settings are checked at start-up", () => {
  test("good values parse into targets", () => {
    const c = load({
      ALERT_WEBHOOKS: "ntfy+https://ntfy.sh/t, https://hooks.slack.com/services/a/b/c", MQTT_URL: "mqtts://u:p%40ss@broker:8884",
      SYSLOG_URL: "tcp://siem", ALERT_MIN_SEVERITY: "high", ALERT_NEW_DEVICES: "off",
    });
    expect(c.ALERT_WEBHOOKS.map((w) => w.format)).toEqual(["ntfy", "slack"]);
    expect(c.MQTT_URL).toEqual({ tls: true, host: "broker", port: 8884, username: "u", password: "p@ss" });
    expect(c.SYSLOG_URL).toEqual({ transport: "tcp", host: "siem", port: 601 });
    expect([c.ALERT_MIN_SEVERITY, c.ALERT_NEW_DEVICES, c.ALERT_PRESENCE, c.MQTT_TOPIC_PREFIX]).toEqual(["high", false, "off", "netinsight"]);
  });

  test("each bad value is named with what is allowed, and secrets are not echoed", () => {
    expect(error({ ALERT_WEBHOOKS: "https://ok/x,foo+https://x/y" })).toContain('ALERT_WEBHOOKS: "foo+https://x/y": unknown format "foo" (allowed: json, ntfy, gotify, discord, slack)');
    expect(error({ MQTT_URL: "http://broker" })).toContain("MQTT_URL: \"http://broker\": the scheme must be mqtt:// or mqtts://");
    expect(error({ SYSLOG_URL: "udp//x" })).toContain("SYSLOG_URL: \"udp//x\" is not a URL");
    expect(error({ ALERT_MIN_SEVERITY: "urgent" })).toContain("ALERT_MIN_SEVERITY: must be one of low, medium, high, critical");
    expect(error({ ALERT_NEW_DEVICES: "maybe" })).toContain("ALERT_NEW_DEVICES: must be true or false");
    expect(error({ PUBLIC_URL: "pi.local" })).toContain("PUBLIC_URL: must be an http(s):// URL");
    expect(error({ MQTT_TOPIC_PREFIX: "a/#" })).toContain("MQTT_TOPIC_PREFIX");
    expect(error({ ALERT_WEBHOOK_SECRET: "short" })).not.toContain("short\"");
    expect(error({ ALERT_FILE: "/tmp" })).toContain("ALERT_FILE: must be a file path, not a directory");
    expect(error({ MQTT_CA_FILE: "/nonexistent/ca.pem" })).toContain("MQTT_CA_FILE: must be a readable PEM file");
  });
});
