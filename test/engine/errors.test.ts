import { describe, expect, it } from "vitest";
import { NonRetriableError } from "../../src/engine/errors/non-retriable-error.ts";
import { RetryAfterError, retryAfterMs } from "../../src/engine/errors/retry-after-error.ts";
import { toStepError } from "../../src/engine/errors/to-step-error.ts";

describe("control-flow errors", () => {
  it("maps a NonRetriableError to a non-retriable step error", () => {
    expect(toStepError(new NonRetriableError("HTTP 404", { status: 404 }))).toEqual({
      message: "HTTP 404",
      retriable: false,
      status: 404,
    });
  });

  it("maps a RetryAfterError to a retriable error with its delay", () => {
    expect(toStepError(new RetryAfterError("slow down", "30s", { status: 429 }))).toEqual({
      message: "slow down",
      retriable: true,
      retryAfterMs: 30_000,
      status: 429,
    });
  });

  it("treats an unknown error as retriable unless its status says otherwise", () => {
    expect(toStepError(new Error("socket hang up"))).toEqual({ message: "socket hang up", retriable: true });
    expect(toStepError(Object.assign(new Error("bad request"), { statusCode: 400 }))).toMatchObject({
      retriable: false,
    });
    expect(toStepError("boom")).toEqual({ message: "boom", retriable: true });
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("keeps instanceof working for the error classes", () => {
    const error = new NonRetriableError("x");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("NonRetriableError");
  });
});
