/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { texts } from "../../src/session/index.ts";

// Vite inlines the sources at build time, so this runs in workerd too (no file system there).
const session = import.meta.glob<string>("../../src/session/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});
const everything = import.meta.glob<string>("../../src/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

const importsOf = (source: string) => [...source.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1] ?? "");

describe("the session's boundaries", () => {
  it("imports no runtime: only zod and the project's core, engine and config", () => {
    expect(Object.keys(session).length).toBeGreaterThan(10);
    for (const [file, source] of Object.entries(session)) {
      for (const spec of importsOf(source)) {
        const ok = spec === "zod" || spec.startsWith(".");
        expect(ok, `${file} imports ${spec}`).toBe(true);
        expect(spec, file).not.toMatch(
          /durable|handlers|channels|host|node:|cloudflare:|hono|grammy|drizzle/,
        );
      }
    }
  });

  it("keeps every user-facing text in texts.ts", () => {
    const fixed = Object.values(texts).flatMap((t) => (typeof t === "string" && t.length > 8 ? [t] : []));
    for (const [file, source] of Object.entries(everything)) {
      if (file.endsWith("/session/texts.ts")) continue;
      for (const text of fixed)
        expect(source.includes(`"${text}"`), `${file} contains "${text}"`).toBe(false);
    }
  });
});
