import { describe, expect, it } from "vitest";
import { isProviderError, ProviderError, type ProviderErrorCode } from "./errors.js";

/**
 * A provider failure is a value the revoker and the retry loop act on: whether it is worth another
 * try decides whether access is retried or a human is told, so the default for each code is pinned.
 */
const CODES: ProviderErrorCode[] = [
  "THROTTLED",
  "FORBIDDEN",
  "NOT_FOUND",
  "IDENTITY_NOT_FOUND",
  "INVALID_REQUEST",
  "UNAVAILABLE",
  "NOT_REVOKED",
  "UNKNOWN",
];

describe("ProviderError", () => {
  it("is retryable by default only when the provider was throttling or unavailable", () => {
    const retryable = CODES.filter((code) => new ProviderError(code, "It failed.").retryable);
    expect(retryable).toEqual(["THROTTLED", "UNAVAILABLE"]);
  });

  it("lets the mapper say otherwise, either way", () => {
    expect(new ProviderError("THROTTLED", "Slow down.", { retryable: false }).retryable).toBe(false);
    expect(new ProviderError("UNAVAILABLE", "Down.", { retryable: false }).retryable).toBe(false);
    expect(new ProviderError("FORBIDDEN", "Role still propagating.", { retryable: true }).retryable).toBe(true);
  });

  it("carries its code, one sentence as its message, the wait asked for and the cause", () => {
    const cause = new Error("raw SDK error");
    const error = new ProviderError("THROTTLED", "The provider is throttling; jitbot will retry.", {
      retryAfterMs: 1_500,
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ProviderError",
      code: "THROTTLED",
      message: "The provider is throttling; jitbot will retry.",
      userMessage: "The provider is throttling; jitbot will retry.",
      retryAfterMs: 1_500,
    });
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe("ProviderError: The provider is throttling; jitbot will retry.");
    expect(new ProviderError("UNKNOWN", "It failed.").retryAfterMs).toBeUndefined();
  });

  it("is told apart from any other error, even one shaped like it", () => {
    expect(isProviderError(new ProviderError("NOT_FOUND", "Gone."))).toBe(true);
    const lookalike = Object.assign(new Error("Gone."), { code: "NOT_FOUND", userMessage: "Gone.", retryable: false });
    expect(isProviderError(lookalike)).toBe(false);
    expect(isProviderError(undefined)).toBe(false);
  });
});
