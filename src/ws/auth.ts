/**
 * Where a WebSocket upgrade carries its token. Browsers cannot set headers on `new WebSocket()`, so
 * besides `Authorization: Bearer` we accept `?token=` and the subprotocol pair `["bearer", token]`.
 */

/** The subprotocol a client offers before its token; the server must echo it or browsers abort. */
export const BEARER_SUBPROTOCOL = "bearer";

export interface UpgradeToken {
  token: string | null;
  /** Set when the token came as a subprotocol: the value to answer in Sec-WebSocket-Protocol. */
  subprotocol?: string;
}

export function tokenFromUpgrade(req: Request): UpgradeToken {
  const query = new URL(req.url).searchParams.get("token");
  if (query) return { token: query };

  const auth = req.headers.get("authorization");
  const bearer = auth?.match(/^Bearer\s+(\S+)\s*$/i);
  if (bearer) return { token: bearer[1]! };

  const protocols = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  const at = protocols.findIndex((p) => p.toLowerCase() === BEARER_SUBPROTOCOL);
  if (at >= 0 && protocols[at + 1]) return { token: protocols[at + 1]!, subprotocol: BEARER_SUBPROTOCOL };

  return { token: null };
}

/** The same 401 as the REST API (src/api/auth.ts), without detail: a wrong token must not learn why. */
export function unauthorizedResponse(): Response {
  return Response.json(
    { error: { code: "unauthorized", message: "missing or invalid token", details: { scheme: "Bearer" } } },
    { status: 401, headers: { "www-authenticate": "Bearer" } },
  );
}
