/**
 * The part of `node:async_hooks` the cost meter uses. workerd provides it under `nodejs_compat`; the Workers
 * tsconfig loads no Node types, so it is declared here (bench/tsconfig.workers.json only).
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
  }
}
