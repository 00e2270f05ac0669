/**
 * The one error shape, `{ error: { code, message, details } }` (details always there: an object or
 * a list of problems, `{}` when there is nothing to add), and the shared validation hook that turns
 * zod failures into 400s in it. Nothing here ever sends a stack trace.
 */
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Context, Env } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ErrorSchema } from "./schemas.ts";

/** What an error adds to its message: the parameter, the limit, the allowed methods, the id asked for. */
export type ErrorDetails = Record<string, unknown> | unknown[];

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetails };
}

export function errorBody(code: string, message: string, details: ErrorDetails = {}): ErrorBody {
  return { error: { code, message, details } };
}

export function apiError<S extends ContentfulStatusCode>(c: Context, status: S, code: string, message: string, details?: ErrorDetails) {
  return c.json(errorBody(code, message, details), status);
}

interface ZodishIssue { path: PropertyKey[]; message: string; code?: string }

// biome-ignore lint: the hook is generic over every route's input
export const defaultHook: Hook<any, Env, any, any> = (result, c) => {
  if (result.success) return;
  const issues = ((result.error as { issues?: ZodishIssue[] }).issues ?? []);
  const details = issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const message = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ") || "invalid request";
  return c.json(errorBody("invalid_request", message, details), 400);
};

/** A router with the shared validation hook; every route file builds its sub-app with this. */
export function newRouter(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook });
}

/** An OpenAPI response entry in the error shape. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ErrorSchema } } };
}

/** An OpenAPI response entry for a JSON body. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** The responses every authenticated route may give besides its own. */
export const AUTH_ERRORS = {
  400: errorResponse("Invalid parameters"),
  401: errorResponse("Missing or invalid token"),
  429: errorResponse("Too many failed authentications from this address; Retry-After says when to try again"),
} as const;
