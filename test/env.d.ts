import type { Env as HooklineEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends HooklineEnv {}
  }
}
