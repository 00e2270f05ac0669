/**
 * The README's screenshots, made from the bundled sample so they stay true: starts `serve --read
 * samples/home-lab.pcap --loop` on a fresh database, names one device the way a user would, lets a
 * few minutes of capture time pass, and photographs the overview, a device page, the history panel
 * and the phone layout (dark) with headless Chromium. PNGs are reduced to 256 colours (< 200 KB).
 *
 *   bun scripts/screenshots.ts [--out docs/screenshots]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { freePort } from "../test/support/net.ts";

const REPO = path.resolve(import.meta.dir, "..");
const { values } = parseArgs({ options: { out: { type: "string", default: "docs/screenshots" } } });
const OUT = path.resolve(REPO, values.out!);
const TOKEN = "screenshots-token-1b7e22";
const SPEED = 4; // capture time at 4x: a few minutes of history in under a minute
const MAX_BYTES = 200_000;

mkdirSync(OUT, { recursive: true });
const dir = mkdtempSync(path.join(tmpdir(), "ni-shots-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serve = Bun.spawn(
  [process.execPath, "src/main.ts", "serve", "--read", "samples/home-lab.pcap", "--loop", "--speed", String(SPEED), "--port", String(port), "--host", "127.0.0.1", "--log-level", "warn"],
  { cwd: REPO, env: { ...process.env, API_TOKEN: TOKEN, DATABASE_PATH: path.join(dir, "demo.db") }, stdout: "inherit", stderr: "inherit" },
);
const api = (p: string, init: RequestInit = {}) =>
  fetch(`${base}${p}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });

async function shoot(page: Page, name: string, clip?: string) {
  const file = path.join(OUT, `${name}.png`);
  const raw = `${file}.raw.png`;
  if (clip) await page.locator(clip).screenshot({ path: raw });
  else await page.screenshot({ path: raw });
  // 256 colours: the page is flat colours and text, so this is near lossless and a fraction of the size.
  const q = Bun.spawnSync(["convert", raw, "-strip", "-colors", "256", `PNG8:${file}`]);
  if (q.exitCode !== 0) throw new Error(`convert failed: ${q.stderr.toString()}`);
  rmSync(raw);
  const size = statSync(file).size;
  console.log(`${path.relative(REPO, file)}: ${(size / 1000).toFixed(0)} kB`);
  if (size > MAX_BYTES) throw new Error(`${name}.png is ${size} bytes, over ${MAX_BYTES}`);
}

try {
  for (let i = 0; !(await fetch(`${base}/api/health`).then((r) => r.ok, () => false)); i++) {
    if (i > 100 || serve.exitCode !== null) throw new Error("serve did not start");
    await Bun.sleep(100);
  }
  // Let capture time pass (history is written a minute at a time), then name the laptop as a user would.
  await Bun.sleep(45_000);
  await api("/api/devices/a483e7223344", { method: "PATCH", body: JSON.stringify({ name: "Alice's MacBook", type: "computer", notes: "work laptop", known: true }) });

  const profile = mkdtempSync(path.join(tmpdir(), "ni-shots-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1400, height: 900 }, colorScheme: "light",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${base}/`);
  await page.evaluate((t) => localStorage.setItem("netinsight.token", t), TOKEN);
  await page.reload();
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 15_000 });
  await page.locator("#threat-list li").first().waitFor({ timeout: 30_000 });
  await page.locator("#history-dests tr").first().waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => (window as any).netinsight.chartPoints() >= 20, null, { timeout: 30_000 });
  await shoot(page, "overview");
  await shoot(page, "history", "#history");

  await page.goto(`${base}/#/device/a483e7223344`);
  await page.locator("#device-dests tr").first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => (window as any).netinsight.devicePoints() > 0);
  await page.mouse.move(0, 0);
  await shoot(page, "device");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${base}/#/`);
  await page.reload();
  await page.locator("#device-list li").first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => (window as any).netinsight.chartPoints() >= 5, null, { timeout: 15_000 });
  await shoot(page, "phone-dark");
  await context.close();
  rmSync(profile, { recursive: true, force: true });
} finally {
  serve.kill("SIGTERM");
  await serve.exited;
  rmSync(dir, { recursive: true, force: true });
}
