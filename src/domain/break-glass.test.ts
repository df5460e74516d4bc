import { describe, expect, it } from "vitest";
import { parsePolicy } from "../config/load.js";
import { breakGlassRefusals, dueAtFor, missedConfirmation } from "./break-glass.js";
import type { AccessRequest } from "./request.js";

const at = (iso: string) => new Date(iso);
const END = at("2026-03-04T11:00:00Z");
const DEADLINE = at("2026-03-04T10:15:00Z");

function request(breakGlass?: AccessRequest["breakGlass"]): AccessRequest {
  return {
    id: "JR-AAAAAA",
    profileId: "p1",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@contoso.com",
    durationSeconds: 3600,
    justification: "x",
    ticket: undefined,
    status: "active",
    createdAt: at("2026-03-04T10:00:00Z"),
    updatedAt: at("2026-03-04T10:00:00Z"),
    decidedAt: undefined,
    decisionNote: undefined,
    approvalChannel: undefined,
    approvalTs: undefined,
    receiptChannel: undefined,
    receiptTs: undefined,
    extendsRequestId: undefined,
    ...(breakGlass ? { breakGlass } : {}),
  };
}

const unconfirmed = { confirmBy: DEADLINE, confirmedBy: undefined, confirmedAt: undefined };
const confirmed = { confirmBy: DEADLINE, confirmedBy: "U0LEAD", confirmedAt: at("2026-03-04T10:05:00Z") };

describe("when a grant is due", () => {
  it.each([
    ["an ordinary grant: at its end", request(), END, END],
    ["an unconfirmed break glass: at its deadline", request(unconfirmed), END, DEADLINE],
    ["a confirmed break glass: at its end", request(confirmed), END, END],
    [
      "an unconfirmed break glass shorter than its window: at its end",
      request(unconfirmed),
      at("2026-03-04T10:10:00Z"),
      at("2026-03-04T10:10:00Z"),
    ],
  ])("%s", (_why, req, expiresAt, due) => {
    expect(dueAtFor(req, expiresAt)).toBe(due.getTime());
  });

  it("is due at its end when its request could not be read", () => {
    expect(dueAtFor(undefined, END)).toBe(END.getTime());
  });

  it.each([
    ["an unconfirmed break glass due before its end missed its confirmation", request(unconfirmed), END, true],
    ["a confirmed one did not", request(confirmed), END, false],
    ["an ordinary grant cannot", request(), END, false],
    ["one that ends before its deadline simply expires", request(unconfirmed), at("2026-03-04T10:15:00Z"), false],
  ])("%s", (_why, req, expiresAt, missed) => {
    expect(missedConfirmation(req, expiresAt)).toBe(missed);
  });
});

const policy = parsePolicy(
  `
profiles:
  - id: glass
    title: Glass
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
    justification: { minLength: 0 }
    breakGlass: { confirmWithin: 15m, max: 1h }
  - id: plain
    title: Plain
    cluster: { kind: aks, name: c, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`,
  "t",
);
const [glass, plain] = policy.profiles as [(typeof policy.profiles)[0], (typeof policy.profiles)[0]];
const REASON = "Checkout is down, INC-42";

describe("what refuses a break glass", () => {
  it("accepts one within breakGlass.max with a reason", () => {
    expect(breakGlassRefusals(glass, { durationSeconds: 3600, justification: REASON }, false)).toEqual({});
  });
  it.each([
    ["a profile without break glass", plain, 3600, REASON, false, { profile: "BREAK_GLASS_NOT_ALLOWED" }],
    ["an extension (its approvers decide)", glass, 3600, REASON, true, { profile: "BREAK_GLASS_NOT_ALLOWED" }],
    ["a time past breakGlass.max", glass, 3660, REASON, false, { duration: "BREAK_GLASS_OVER_MAX" }],
    [
      "no reason, even where the profile asks for none",
      glass,
      3600,
      "   ",
      false,
      { justification: "JUSTIFICATION_TOO_SHORT" },
    ],
  ])("refuses %s", (_why, profile, durationSeconds, justification, extending, codes) => {
    const errors = breakGlassRefusals(profile, { durationSeconds, justification }, extending);
    expect(Object.fromEntries(Object.entries(errors).map(([field, error]) => [field, error?.code]))).toEqual(codes);
  });

  it.each([
    ["ten characters", "INC-42 P1!", {}],
    ["nine characters", "INC-42 P1", { justification: "JUSTIFICATION_TOO_SHORT" }],
    ["five characters padded to eleven with spaces", "   INC-4   ", { justification: "JUSTIFICATION_TOO_SHORT" }],
  ])("needs a reason of ten characters, spaces around it not counted: %s", (_why, justification, codes) => {
    const errors = breakGlassRefusals(glass, { durationSeconds: 3600, justification }, false);
    expect(Object.fromEntries(Object.entries(errors).map(([field, error]) => [field, error?.code]))).toEqual(codes);
  });

  it("says which profile, which maximum and which length each refusal is about", () => {
    expect(breakGlassRefusals(plain, { durationSeconds: 60, justification: REASON }, false).profile?.detail).toEqual({
      profile: "plain",
    });
    const errors = breakGlassRefusals(glass, { durationSeconds: 7200, justification: "down" }, false);
    expect(errors.duration?.detail).toEqual({ max: 3600 });
    expect(errors.justification?.detail).toEqual({ minLength: 10 });
  });

  it("leaves the time to the profile's own rules when none was asked for", () => {
    expect(breakGlassRefusals(glass, { durationSeconds: undefined, justification: REASON }, false)).toEqual({});
  });
});
