/**
 * A call boundary written once: an operations object (functions, possibly grouped in plain
 * objects) is served by `dispatch` on one side of a worker and reached through `wrap`'s typed proxy
 * on the other, so an operation is one function and nothing lists it twice (Comlink's idea).
 */

// biome-ignore lint: any function shape is an operation
type Fn = (...args: any[]) => unknown;

/** The calling side's view: every operation returns a promise of what it returns (or resolves to). */
export type Remote<T> = {
  [K in keyof T]: T[K] extends Fn ? (...args: Parameters<T[K]>) => Promise<Awaited<ReturnType<T[K]>>> : Remote<T[K]>;
};

/** Every operation's dotted path, e.g. "capture.start". */
export type OpPath<T, Prefix extends string = ""> = {
  [K in keyof T & string]: T[K] extends Fn ? `${Prefix}${K}` : OpPath<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

/** A proxy whose `a.b(...args)` is `call("a.b", args)`. */
export function wrap<T>(call: (op: OpPath<T>, args: unknown[]) => Promise<unknown>): Remote<T> {
  const at = (path: string): unknown =>
    new Proxy(() => undefined, {
      get: (_, key) => (typeof key !== "string" || key === "then" ? undefined : at(path ? `${path}.${key}` : key)),
      apply: (_, __, args: unknown[]) => call(path as OpPath<T>, args),
    });
  return at("") as Remote<T>;
}

export class UnknownOperationError extends Error {
  constructor(op: string) {
    super(`no operation ${op}`);
    this.name = "UnknownOperationError";
  }
}

/** Calls the operation at `op` ("capture.start") of `ops`; only own properties, so nothing else is reachable. */
export function dispatch<T extends object>(ops: T, op: string, args: unknown[]): unknown {
  let target: unknown = ops;
  let self: unknown = ops;
  for (const key of op.split(".")) {
    if (typeof target !== "object" || target === null || !Object.hasOwn(target, key)) throw new UnknownOperationError(op);
    self = target;
    target = (target as Record<string, unknown>)[key];
  }
  if (typeof target !== "function") throw new UnknownOperationError(op);
  return (target as Fn).apply(self, args);
}
