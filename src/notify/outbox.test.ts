import { describe, expect, test } from "bun:test";
import { openDatabase } from "../storage/db.ts";
import { OutboxRows } from "../storage/outbox.ts";
import type { Alert } from "./alert.ts";
import { alert } from "./testing.ts";
import { DEFAULT_BACKOFF, Outbox, retryDelay } from "./outbox.ts";

describe("outbox policy", () => {
  test("repeats of a queued key update it; a delivered key is not sent again unless it escalates", () => {
    const rows = new OutboxRows(openDatabase(":memory:"));
    const box = new Outbox(rows);
    expect(box.enqueue("hook", alert(), 1000)).toBe("queued");
    expect(box.enqueue("hook", alert({ title: "Port scan (more)" }), 1001)).toBe("updated");
    const queued = rows.latestForKey("hook", "threat:1")!;
    expect(JSON.parse(queued.alert)).toMatchObject({ count: 2, title: "Port scan (more)" });
    rows.delivered(queued.id, 2000);
    expect(box.enqueue("hook", alert(), 3000)).toBe("suppressed");
    expect(rows.latestForKey("hook", "threat:1")!.suppressed).toBe(1);
    expect(box.enqueue("hook", alert({ severity: "critical" }), 3001)).toBe("queued");
    // Another channel has its own queue.
    expect(box.enqueue("mqtt", alert(), 3002)).toBe("queued");
    // Past the window a delivered key is news again.
    rows.delivered(rows.latestForKey("hook", "threat:1")!.id, 4000);
    expect(box.enqueue("hook", alert({ severity: "critical" }), 4000 + 3600_000)).toBe("queued");
  });

  test("a flood of distinct keys folds into one digest per kind that counts", () => {
    const rows = new OutboxRows(openDatabase(":memory:"));
    const box = new Outbox(rows, { floodPending: 3 });
    const results = Array.from({ length: 1000 }, (_, i) => box.enqueue("hook", alert({ key: `device:${i}`, kind: "device_new", title: `New device ${i}` }), 1000 + i));
    expect(results.filter((r) => r === "queued").length).toBe(3);
    expect(results.filter((r) => r === "folded").length).toBe(997);
    expect(rows.pendingCount("hook")).toBe(4);
    const digest = JSON.parse(rows.latestForKey("hook", "flood:device_new")!.alert) as Alert;
    expect(digest).toMatchObject({ count: 997, title: "997 more new devices", device: null });
    expect(digest.description).toContain("New device 999");
  });

  test("backoff doubles from the base up to the cap", () => {
    expect([1, 2, 3, 4, 10, 100].map((n) => retryDelay(n, DEFAULT_BACKOFF))).toEqual([5000, 10_000, 20_000, 40_000, 300_000, 300_000]);
  });
});
