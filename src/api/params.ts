/**
 * Query parameters that are numbers, written the one way people write them: digits, and for hours
 * an optional decimal fraction. "1e3", "0x10", "1e-320", " 5" or "Infinity" are refused with a 400
 * naming the parameter, never read as some other number.
 */
import { z } from "@hono/zod-openapi";

/** A whole number in plain decimal digits, within [min, max]. */
export function intParam(min: number, max: number) {
  return z.string()
    .regex(/^\d{1,15}$/, { error: "must be a whole number in decimal digits" })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** A positive number of hours in plain decimal ("24", "0.5"), at most `max`. */
export function hoursParam(max: number) {
  return z.string()
    .regex(/^\d{1,6}(\.\d{1,6})?$/, { error: "must be a number of hours in decimal digits (e.g. 24 or 0.5)" })
    .transform(Number)
    .pipe(z.number().positive({ error: "must be more than 0" }).max(max))
    .openapi({ type: "number", exclusiveMinimum: 0, maximum: max });
}
