import { expect, test } from "bun:test";
import { Hono } from "hono";
import { liveViewResponse, prefersHtml, serveWebAsset, webAssetRoutes } from "./assets.ts";

const req = (accept?: string) => new Request("http://x/", { headers: accept ? { accept } : {} });

test("prefersHtml: browsers yes, JSON clients and curl no", () => {
  expect(prefersHtml(req("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"))).toBe(true);
  expect(prefersHtml(req("application/json"))).toBe(false);
  expect(prefersHtml(req("*/*"))).toBe(false);
  expect(prefersHtml(req())).toBe(false);
  expect(prefersHtml(req("application/json, text/html;q=0.5"))).toBe(false);
  expect(prefersHtml(req("text/html;q=0"))).toBe(false);
});

test("the page references only embedded assets, and every one of them is served", async () => {
  const html = await liveViewResponse().text();
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThanOrEqual(4);
  expect(html).not.toMatch(/https?:\/\//);
  for (const ref of refs) expect(serveWebAsset(ref)?.status).toBe(200);
  // ES module imports between the client files resolve under /assets/ too, transitively.
  const seen = new Set<string>();
  const walk = async (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const res = serveWebAsset(`/assets/${name}`);
    expect(res?.status).toBe(200);
    const text = await res!.text();
    expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    for (const m of text.matchAll(/from "\.\/([^"]+)"/g)) await walk(m[1]!);
  };
  await walk("live.client.js");
  expect(seen.size).toBeGreaterThanOrEqual(7);
});

test("assets: types, conditional GET, unknown names", async () => {
  const css = serveWebAsset("/assets/uPlot.min.css")!;
  expect(css.headers.get("content-type")).toStartWith("text/css");
  const etag = css.headers.get("etag")!;
  const again = serveWebAsset("/assets/uPlot.min.css", new Request("http://x/", { headers: { "if-none-match": etag } }));
  expect(again?.status).toBe(304);
  expect(serveWebAsset("/assets/../package.json")).toBeUndefined();
  expect(serveWebAsset("/assets/nope.js")).toBeUndefined();
  expect(serveWebAsset("/live")).toBeUndefined();
  expect(liveViewResponse().headers.get("content-security-policy")).toContain("default-src 'self'");
});

test("webAssetRoutes: / for browsers, /live always, falls through to JSON otherwise", async () => {
  const app = new Hono();
  webAssetRoutes(app);
  app.get("/", (c) => c.json({ name: "NetInsight" }));
  const page = await app.request("/", { headers: { accept: "text/html" } });
  expect(page.headers.get("content-type")).toStartWith("text/html");
  expect(await (await app.request("/", { headers: { accept: "application/json" } })).json()).toEqual({ name: "NetInsight" });
  expect((await app.request("/live")).headers.get("content-type")).toStartWith("text/html");
  expect((await app.request("/assets/live.css")).status).toBe(200);
  expect((await app.request("/assets/missing.css")).status).toBe(404);
});

test("the icon: /favicon.svg for the page, /favicon.ico for everything else", async () => {
  const app = new Hono();
  webAssetRoutes(app);
  const svg = await app.request("/favicon.svg");
  expect(svg.headers.get("content-type")).toStartWith("image/svg+xml");
  expect(await svg.text()).toStartWith("<svg");
  const ico = await app.request("/favicon.ico");
  expect(ico.status).toBe(200);
  expect(ico.headers.get("content-type")).toBe("image/x-icon");
  const bytes = new Uint8Array(await ico.arrayBuffer());
  expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // ICONDIR: reserved 0, type 1 (icon)
  expect(await liveViewResponse().text()).toContain('href="/favicon.svg"');
});
