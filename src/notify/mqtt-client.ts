/**
 * A small MQTT 3.1.1 client (OASIS standard, 2014): CONNECT with user/password and a last will,
 * PUBLISH at QoS 0 and 1 (waiting for PUBACK), SUBSCRIBE, keep-alive pings, and reconnection with
 * backoff. Enough for notifications and Home Assistant discovery; no QoS 2, no persistence.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface MqttOptions {
  host: string;
  port: number;
  tls?: boolean;
  /** Extra CA certificates (PEM) for mqtts:// to a broker with a private CA. */
  ca?: string;
  username?: string | null;
  password?: string | null;
  clientId: string;
  keepaliveSeconds?: number;
  will?: { topic: string; payload: string; retain: boolean; qos: 0 | 1 };
  /** Reconnect delays start here and double up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  onConnect?: () => void;
  /** The first failure after being connected (or at start), not every retry. */
  onError?: (message: string) => void;
}

const enum Type { CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, SUBACK = 9, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14 }

const CONNACK_ERRORS: Record<number, string> = {
  1: "the broker does not speak MQTT 3.1.1",
  2: "the broker rejected the client id",
  3: "the broker is unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

const utf8 = (s: string) => Buffer.from(s, "utf8");
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? utf8(s) : s;
  return Buffer.concat([u16(b.length), b]);
};

/** The fixed header's remaining length: 7 bits per byte, high bit "more" (at most 4 bytes). */
export function encodeLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), encodeLength(body.length), body]);
}

export function connectPacket(o: Pick<MqttOptions, "clientId" | "username" | "password" | "will" | "keepaliveSeconds">): Buffer {
  let flags = 0x02; // clean session
  const payload: Buffer[] = [str(o.clientId)];
  if (o.will) {
    flags |= 0x04 | (o.will.qos << 3) | (o.will.retain ? 0x20 : 0);
    payload.push(str(o.will.topic), str(o.will.payload));
  }
  if (o.username) {
    flags |= 0x80;
    payload.push(str(o.username));
    if (o.password) {
      flags |= 0x40;
      payload.push(str(o.password));
    }
  }
  const header = Buffer.concat([str("MQTT"), Buffer.from([4, flags]), u16(o.keepaliveSeconds ?? 30)]);
  return packet(Type.CONNECT << 4, Buffer.concat([header, ...payload]));
}

export function publishPacket(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean, id: number): Buffer {
  const parts: Uint8Array[] = [str(topic)];
  if (qos > 0) parts.push(u16(id));
  parts.push(typeof payload === "string" ? utf8(payload) : payload);
  return packet((Type.PUBLISH << 4) | (qos << 1) | (retain ? 1 : 0), Buffer.concat(parts));
}

export class MqttError extends Error {}

interface Waiter { resolve: () => void; reject: (e: Error) => void }

export class MqttClient {
  #sock: Socket | null = null;
  #buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #connected = false;
  #closed = false;
  #nextId = 1;
  #acks = new Map<number, Waiter>();
  #subs = new Map<string, (topic: string, payload: Buffer) => void>();
  #retryMs: number;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #lastHeard = 0;
  #reported = false;
  lastError: string | null = null;

  constructor(readonly o: MqttOptions) {
    this.#retryMs = o.retryMs ?? 1000;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#open();
  }

  #open(): void {
    if (this.#closed) return;
    const opts = { host: this.o.host, port: this.o.port };
    const sock = this.o.tls
      ? tlsConnect({ ...opts, servername: this.o.host, ca: this.o.ca ? [this.o.ca] : undefined })
      : tcpConnect(opts);
    this.#sock = sock;
    this.#buf = Buffer.alloc(0);
    sock.on(this.o.tls ? "secureConnect" : "connect", () => sock.write(connectPacket(this.o)));
    sock.on("data", (d: Buffer) => this.#receive(sock, d));
    sock.on("error", (err) => this.#fail(sock, err.message));
    sock.on("close", () => this.#fail(sock, this.lastError ?? "connection closed"));
  }

  #fail(sock: Socket, message: string): void {
    if (this.#sock !== sock) return;
    this.#sock = null;
    sock.destroy();
    const was = this.#connected;
    this.#connected = false;
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    this.lastError = message;
    for (const w of this.#acks.values()) w.reject(new MqttError(`MQTT connection lost: ${message}`));
    this.#acks.clear();
    if (this.#closed) return;
    if (was || !this.#reported) this.o.onError?.(message);
    this.#reported = true;
    if (was) this.#retryMs = this.o.retryMs ?? 1000;
    this.#retryTimer = setTimeout(() => this.#open(), this.#retryMs);
    (this.#retryTimer as { unref?: () => void }).unref?.();
    this.#retryMs = Math.min(this.#retryMs * 2, this.o.maxRetryMs ?? 30_000);
  }

  #receive(sock: Socket, d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    this.#lastHeard = Date.now();
    for (;;) {
      if (this.#buf.length < 2) return;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (; i < 5; i++) {
        if (i >= this.#buf.length) return;
        const b = this.#buf[i];
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (i === 5) return this.#fail(sock, "malformed packet from the broker");
      const start = i + 1;
      if (this.#buf.length < start + len) return;
      const first = this.#buf[0];
      const body = this.#buf.subarray(start, start + len);
      this.#buf = this.#buf.subarray(start + len);
      this.#handle(sock, first, body);
    }
  }

  #handle(sock: Socket, first: number, body: Buffer): void {
    switch (first >> 4) {
      case Type.CONNACK: {
        const code = body[1] ?? 255;
        if (code !== 0) {
          this.lastError = `the broker refused the connection: ${CONNACK_ERRORS[code] ?? `code ${code}`}`;
          return this.#fail(sock, this.lastError);
        }
        this.#connected = true;
        this.#reported = false;
        this.lastError = null;
        this.#retryMs = this.o.retryMs ?? 1000;
        const keepalive = (this.o.keepaliveSeconds ?? 30) * 1000;
        this.#pingTimer = setInterval(() => {
          if (Date.now() - this.#lastHeard > keepalive * 1.5) return this.#fail(sock, "the broker stopped answering");
          sock.write(Buffer.from([Type.PINGREQ << 4, 0]));
        }, keepalive / 2);
        (this.#pingTimer as { unref?: () => void }).unref?.();
        for (const topic of this.#subs.keys()) this.#sendSubscribe(topic);
        this.o.onConnect?.();
        return;
      }
      case Type.PUBACK: {
        const id = body.readUInt16BE(0);
        this.#acks.get(id)?.resolve();
        this.#acks.delete(id);
        return;
      }
      case Type.PUBLISH: {
        const qos = (first >> 1) & 3;
        const tlen = body.readUInt16BE(0);
        const topic = body.subarray(2, 2 + tlen).toString("utf8");
        let off = 2 + tlen;
        if (qos > 0) {
          sock.write(packet(Type.PUBACK << 4, body.subarray(off, off + 2)));
          off += 2;
        }
        this.#subs.get(topic)?.(topic, body.subarray(off));
        return;
      }
      default:
        return; // SUBACK, PINGRESP: nothing to do
    }
  }

  /** QoS 1 resolves on the broker's PUBACK; QoS 0 once written. Rejects while disconnected. */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const sock = this.#sock;
    if (!sock || !this.#connected) return Promise.reject(new MqttError(`not connected to the MQTT broker${this.lastError ? ` (${this.lastError})` : ""}`));
    const qos = opts.qos ?? 0;
    const id = qos > 0 ? this.#packetId() : 0;
    return new Promise<void>((resolve, reject) => {
      if (qos > 0) this.#acks.set(id, { resolve, reject });
      sock.write(publishPacket(topic, payload, qos, opts.retain ?? false, id), (err) => {
        if (err) {
          this.#acks.delete(id);
          reject(err);
        } else if (qos === 0) resolve();
      });
    });
  }

  /** Subscribes (again after every reconnect); exact topics only. */
  subscribe(topic: string, onMessage: (topic: string, payload: Buffer) => void): void {
    this.#subs.set(topic, onMessage);
    if (this.#connected) this.#sendSubscribe(topic);
  }

  #sendSubscribe(topic: string): void {
    this.#sock?.write(packet((Type.SUBSCRIBE << 4) | 0x02, Buffer.concat([u16(this.#packetId()), str(topic), Buffer.from([0])])));
  }

  #packetId(): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 65535) + 1;
    return id;
  }

  /** Sends DISCONNECT (so the broker does not publish the will) and stops reconnecting. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    const sock = this.#sock;
    this.#sock = null;
    this.#connected = false;
    for (const w of this.#acks.values()) w.reject(new MqttError("MQTT client closed"));
    this.#acks.clear();
    if (!sock) return;
    await new Promise<void>((resolve) => {
      sock.end(Buffer.from([Type.DISCONNECT << 4, 0]), () => resolve());
      setTimeout(resolve, 1000).unref?.();
    });
    sock.destroy();
  }
}
