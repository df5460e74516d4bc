import { describe, expect, it } from "vitest";
import { DomainError } from "./errors.js";
import {
  isCancellable,
  isFinal,
  isPending,
  isRevocable,
  type RequestEvent,
  RequestStatus,
  transition,
} from "./status.js";

const STATUSES = Object.values(RequestStatus);
const EVENTS: RequestEvent[] = ["approve", "deny", "cancel", "time_out", "activate", "fail", "expire", "revoke"];

/**
 * DESIGN.md: pending → approved → active → expired | revoked, pending → denied | cancelled | timed_out,
 * approved → failed; and approved → cancelled (withdrawn after approval, before its grant started).
 */
const LEGAL: Record<string, RequestStatus> = {
  "pending approve": "approved",
  "pending deny": "denied",
  "pending cancel": "cancelled",
  "pending time_out": "timed_out",
  "approved activate": "active",
  "approved fail": "failed",
  "approved cancel": "cancelled",
  "active expire": "expired",
  "active revoke": "revoked",
};

describe("the request state machine", () => {
  const cases = STATUSES.flatMap((from) => EVENTS.map((event) => ({ from, event, to: LEGAL[`${from} ${event}`] })));
  for (const { from, event, to } of cases) {
    if (to) {
      it(`${event} moves a request that is ${from} to ${to}`, () => {
        expect(transition(from, event)).toBe(to);
      });
    } else {
      // A decision on a decided request says what happened to it; anything else names the move refused.
      const code =
        from !== "pending" && (event === "approve" || event === "deny") ? "ALREADY_DECIDED" : "INVALID_TRANSITION";
      it(`${event} on a request that is ${from} is refused with ${code}`, () => {
        const refusal = transition(from, event);
        expect(refusal).toBeInstanceOf(DomainError);
        expect(refusal).toMatchObject(
          code === "ALREADY_DECIDED" ? { code, detail: { status: from } } : { code, detail: { from, event } },
        );
      });
    }
  }

  it("has final states that nothing moves on from, and only those", () => {
    expect(STATUSES.filter(isFinal)).toEqual(["expired", "revoked", "denied", "cancelled", "timed_out", "failed"]);
  });

  it("lets only a pending request be withdrawn or decided, and only an active one be revoked", () => {
    expect(STATUSES.filter(isPending)).toEqual(["pending"]);
    expect(STATUSES.filter(isCancellable)).toEqual(["pending"]);
    expect(STATUSES.filter(isRevocable)).toEqual(["active"]);
  });
});
