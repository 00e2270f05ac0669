// The REST client of the live view: the token (kept in localStorage) and one fetch wrapper.

const TOKEN_KEY = "netinsight.token";

export class Unauthorized extends Error {}

export const token = () => localStorage.getItem(TOKEN_KEY) ?? "";
/** @param {string} t */
export const setToken = (t) => localStorage.setItem(TOKEN_KEY, t);

/** JSON from the API; throws Unauthorized on 401 and an Error with the API's message otherwise. */
export async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { ...init.headers, accept: "application/json", authorization: `Bearer ${token()}` },
  });
  if (res.status === 401) throw new Unauthorized("token rejected");
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** A JSON body request (POST/PATCH). */
export function send(path, method, body) {
  return api(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
}

/** Downloads a file from the API (the token goes in a header, so a plain link cannot). */
export async function download(path, filename) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  if (res.status === 401) throw new Unauthorized("token rejected");
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The API paths the OpenAPI document lists (optional routes such as pcap downloads show up here). */
let paths;
export async function apiPaths() {
  paths ??= fetch("/openapi.json").then((r) => r.json()).then((d) => new Set(Object.keys(d.paths ?? {})), () => new Set());
  return paths;
}
