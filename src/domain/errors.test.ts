import { describe, expect, it } from "vitest";
import { DomainError, isDomainError } from "./errors.js";
import { isOnCallApproval, ON_CALL_APPROVER } from "./on-call.js";

describe("a refusal", () => {
  it("carries its code and details, and says both in its message for the logs", () => {
    const error = new DomainError("DURATION_OVER_CAP", { max: 3600 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "DomainError", code: "DURATION_OVER_CAP", detail: { max: 3600 } });
    expect(error.message).toBe('DURATION_OVER_CAP {"max":3600}');
    expect(new DomainError("SELF_APPROVAL").detail).toEqual({});
  });

  it("is told apart from any other error, even one shaped like it", () => {
    expect(isDomainError(new DomainError("SHUTTING_DOWN"))).toBe(true);
    const lookalike = Object.assign(new Error("SHUTTING_DOWN {}"), { name: "DomainError", code: "SHUTTING_DOWN" });
    expect(isDomainError(lookalike)).toBe(false);
    expect(isDomainError(undefined)).toBe(false);
  });
});

describe("the on-call approver", () => {
  it("is a name no Slack user can have, stored as it always was", () => {
    expect(ON_CALL_APPROVER).toBe("jitbot:on-call");
    expect(isOnCallApproval(ON_CALL_APPROVER)).toBe(true);
    expect(isOnCallApproval("U0LEAD")).toBe(false);
  });
});
