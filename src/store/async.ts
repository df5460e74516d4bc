/**
 * The store's boundary is asynchronous, because PostgreSQL answers over the network; callers await
 * every repository method whatever the engine underneath.
 */
export type Async<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** Every method of `target` (its own and inherited), each answering with a promise. */
export function asyncFacade<T extends object>(target: T): Async<T> {
  const facade: Record<string, unknown> = {};
  for (
    let proto = Object.getPrototypeOf(target);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name in facade) continue;
      const method: unknown = Reflect.get(target, name);
      if (typeof method !== "function") continue;
      facade[name] = async (...args: unknown[]) => method.apply(target, args);
    }
  }
  return facade as Async<T>;
}
