/**
 * Swagger UI at /docs and ReDoc at /redoc, with every asset embedded in the executable (a Pi on a
 * home network may have no internet, so no CDN).
 */
import type { Hono } from "hono";
import { errorBody } from "./errors.ts";
// @ts-ignore: embedded as a file; the value is its path (in the executable: a $bunfs path)
import swaggerBundle from "../../node_modules/swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
// @ts-ignore: see above
import swaggerCss from "../../node_modules/swagger-ui-dist/swagger-ui.css" with { type: "file" };
// @ts-ignore: see above
import redocBundle from "../../node_modules/redoc/bundles/redoc.standalone.js" with { type: "file" };

const ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui-bundle.js": { file: swaggerBundle as unknown as string, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { file: swaggerCss as unknown as string, type: "text/css; charset=utf-8" },
  "redoc.standalone.js": { file: redocBundle as unknown as string, type: "text/javascript; charset=utf-8" },
};

const SWAGGER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>NetInsight API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true });</script>
</body></html>`;

const REDOC_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>NetInsight API reference</title><style>body { margin: 0; }</style></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/docs/assets/redoc.standalone.js"></script></body></html>`;

/** ReDoc's footer shows a logo from its CDN; the page points it at our own icon instead (no request leaves the box). */
const REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
let redocText: Promise<string> | null = null;
function redocWithoutCdn(): Promise<string> {
  redocText ??= Bun.file(ASSETS["redoc.standalone.js"].file).text().then((t) => t.replaceAll(REDOC_CDN_LOGO, "/favicon.svg"));
  return redocText;
}

/** The docs pages load only what this server serves. */
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:";

export function mountDocs(app: Hono<any>): void {
  app.get("/docs", (c) => c.html(SWAGGER_HTML));
  app.get("/redoc", (c) => c.html(REDOC_HTML, 200, { "content-security-policy": DOCS_CSP }));
  app.get("/docs/assets/:name", async (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.json(errorBody("not_found", "no such asset", { path: c.req.path }), 404);
    if (c.req.param("name") === "redoc.standalone.js") {
      return new Response(await redocWithoutCdn(), { headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" } });
    }
    return new Response(Bun.file(asset.file), {
      headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" },
    });
  });
}
