/**
 * The live view page and its assets, embedded in the executable (no CDN: a Pi on a home network may
 * have no internet). `/live` always serves the page, `/` serves it to browsers, `/assets/*` the files.
 */
import type { Hono } from "hono";
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import apiJs from "./api.client.js" with { type: "text" };
import chartJs from "./chart.client.js" with { type: "text" };
import deviceJs from "./device.client.js" with { type: "text" };
import domJs from "./dom.client.js" with { type: "text" };
import historyJs from "./history.client.js" with { type: "text" };
import liveCss from "./live.css" with { type: "text" };
import liveJs from "./live.client.js" with { type: "text" };
// @ts-ignore: embedded as a file; the value is its path (in the executable: a $bunfs path)
import faviconIco from "./favicon.ico" with { type: "file" };
import faviconSvg from "./favicon.svg" with { type: "text" };
import pageHtml from "./live.html" with { type: "text" };
import renderJs from "./render.client.js" with { type: "text" };

export const LIVE_VIEW_PATH = "/live";
export const ASSET_PREFIX = "/assets/";

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${Bun.hash(body).toString(36)}"` };
}

const ASSETS = new Map<string, Asset>([
  ["live.client.js", asset(liveJs, JS)],
  ["chart.client.js", asset(chartJs, JS)],
  ["api.client.js", asset(apiJs, JS)],
  ["device.client.js", asset(deviceJs, JS)],
  ["history.client.js", asset(historyJs, JS)],
  ["dom.client.js", asset(domJs, JS)],
  ["render.client.js", asset(renderJs, JS)],
  ["live.css", asset(liveCss, CSS)],
  ["uPlot.iife.min.js", asset(uplotJs, JS)],
  ["uPlot.min.css", asset(uplotCss, CSS)],
]);

const ICON = asset(faviconSvg, "image/svg+xml");

// Bun types an .html import as an HTMLBundle; with `type: "text"` it is the file's text.
const PAGE = asset(pageHtml as unknown as string, "text/html; charset=utf-8");

/** Everything the page loads is same-origin; uPlot sets element styles from script, which CSP allows. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function respond(a: Asset, req?: Request, extra: Record<string, string> = {}): Response {
  const headers = { "content-type": a.type, "cache-control": "no-cache", etag: a.etag, ...extra };
  if (req?.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  return new Response(a.body, { headers });
}

/** The live view page (HTML). */
export function liveViewResponse(req?: Request): Response {
  return respond(PAGE, req, PAGE_HEADERS);
}

/** The asset at `pathname` (e.g. "/assets/live.css"), or undefined when there is none. */
export function serveWebAsset(pathname: string, req?: Request): Response | undefined {
  if (!pathname.startsWith(ASSET_PREFIX)) return undefined;
  const a = ASSETS.get(pathname.slice(ASSET_PREFIX.length));
  return a ? respond(a, req, { "x-content-type-options": "nosniff" }) : undefined;
}

/** Whether a `GET /` wants the page: the Accept header ranks text/html above application/json. */
export function prefersHtml(req: Request): boolean {
  const q = new Map<string, number>();
  for (const part of (req.headers.get("accept") ?? "").split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (type) q.set(type, qParam ? Number(qParam.slice(2)) || 0 : 1);
  }
  const html = q.get("text/html") ?? 0;
  return html > 0 && html >= (q.get("application/json") ?? 0);
}

/**
 * Mounts `/live`, `/assets/*` and the browser branch of `GET /`. Call it before the JSON `GET /` route:
 * a browser's `/` gets the page here, everyone else falls through to the service info.
 */
// biome-ignore lint: any Hono app or OpenAPIHono, whatever its env
export function webAssetRoutes(app: Hono<any, any, any>): void {
  app.get(LIVE_VIEW_PATH, (c) => liveViewResponse(c.req.raw));
  // The icon: SVG for the page, .ico for whatever asks for /favicon.ico by habit (no 404 in every log).
  app.get("/favicon.svg", (c) => respond(ICON, c.req.raw, { "cache-control": "public, max-age=86400" }));
  app.get("/favicon.ico", () => new Response(Bun.file(faviconIco as unknown as string), {
    headers: { "content-type": "image/x-icon", "cache-control": "public, max-age=86400" },
  }));
  app.get(`${ASSET_PREFIX}*`, (c) => serveWebAsset(c.req.path, c.req.raw) ?? c.notFound());
  app.get("/", async (c, next) => {
    if (prefersHtml(c.req.raw)) return liveViewResponse(c.req.raw);
    await next();
  });
}
