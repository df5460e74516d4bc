import { describe, expect, it } from "vitest";
import { checkDenyReason, checkLength, DENY_REASON_MIN_LENGTH, TEXT_LIMITS } from "./limits.js";

/**
 * The caps hold against a forged payload as much as against the modal, so each is pinned at its
 * edge: the longest text accepted, and one character more refused with what the message names.
 */
describe("text limits", () => {
  it("caps each field at its documented length", () => {
    expect(TEXT_LIMITS).toEqual({ justification: 2000, ticket: 100, denyReason: 500, command: 2200 });
    expect(DENY_REASON_MIN_LENGTH).toBe(3);
  });

  it.each(Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][])(
    "accepts a %s of exactly %i characters and refuses one more, naming the field, cap and length",
    (field, max) => {
      expect(checkLength(field, "x".repeat(max))).toBeUndefined();
      const refusal = checkLength(field, "x".repeat(max + 1));
      expect(refusal?.code).toBe("TEXT_TOO_LONG");
      expect(refusal?.detail).toEqual({ field, max, length: max + 1 });
    },
  );

  it.each([
    ["an empty reason", "", "DENY_REASON_MISSING"],
    ["a reason of spaces only", "      ", "DENY_REASON_MISSING"],
    ["two characters padded with spaces", "  no  ", "DENY_REASON_MISSING"],
    ["three characters", "bad", undefined],
    ["three characters padded with spaces", "  bad  ", undefined],
    ["500 characters", "x".repeat(500), undefined],
    ["500 characters and the spaces around them", ` ${"x".repeat(500)} `, undefined],
    ["501 characters", "x".repeat(501), "TEXT_TOO_LONG"],
  ])("judges a deny reason of %s", (_why, reason, code) => {
    expect(checkDenyReason(reason)?.code).toBe(code);
  });

  it("measures a deny reason without the spaces around it, as it is stored", () => {
    expect(checkDenyReason(` ${"x".repeat(501)} `)?.detail).toEqual({ field: "denyReason", max: 500, length: 501 });
  });
});
