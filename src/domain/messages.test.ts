import { describe, expect, it } from "vitest";
import { ProviderError } from "../grants/errors.js";
import { DomainError, type DomainErrorCode } from "./errors.js";
import { describeFailure, domainMessage, earlyEndAnswer, newCorrelationId } from "./messages.js";

/**
 * The one sentence a person sees for each refusal, with its details in place (durations spelled out,
 * statuses in words, counts with separators). One row per code, and one per branch within a code.
 */
const SENTENCES: [DomainErrorCode, Record<string, string | number>, string][] = [
  [
    "PROFILE_NOT_FOUND",
    { id: "aks-prod" },
    'There is no access profile called "aks-prod". Type `/jit request` to pick from the list.',
  ],
  [
    "NOT_A_REQUESTER",
    { profile: "aks-prod" },
    'You are not among the people who may request "aks-prod". Ask its owners to add you or your Slack user group.',
  ],
  ["DURATION_INVALID", {}, 'That is not a duration jitbot understands. Use forms like "30m", "2h" or "1h30m".'],
  ["DURATION_OVER_CAP", { max: 5400 }, "That is longer than this profile allows (at most 1h 30m)."],
  ["DURATION_TOO_SHORT", { min: 300 }, "Access must last at least 5m."],
  ["JUSTIFICATION_TOO_SHORT", { minLength: 20 }, "Please say why you need access in at least 20 characters."],
  ["TICKET_REQUIRED", {}, "This profile needs a ticket reference."],
  [
    "TICKET_INVALID",
    { pattern: "^OPS-[0-9]+$" },
    "That ticket reference does not match the expected format (^OPS-[0-9]+$).",
  ],
  ["REQUEST_NOT_FOUND", { id: "JR-7K3Q9M" }, "There is no request JR-7K3Q9M. `/jit list` shows yours."],
  ["NOT_YOUR_REQUEST", {}, "Only the person who asked (or one of its approvers, for a revoke) can do that."],
  ["NOT_AN_APPROVER", { profile: "aks-prod" }, 'you are not an approver of "aks-prod".'],
  ["SELF_APPROVAL", {}, "you cannot approve your own request."],
  ["ALREADY_DECIDED_BY_YOU", {}, "you have already decided on this request."],
  ["ALREADY_DECIDED", { status: "approval_timeout" }, "this request is already approval timeout."],
  ["INVALID_TRANSITION", { from: "grant_failed" }, "That cannot be done to a request that is grant failed."],
  [
    "NO_EMAIL",
    {},
    "jitbot cannot read your email address from Slack, and this profile needs it to find you in the cloud. Ask a Slack admin to make emails visible to the app (users:read.email).",
  ],
  [
    "IDENTITY_NOT_FOUND",
    { email: "alice@contoso.com" },
    "Your Slack email alice@contoso.com does not match a user in the cloud directory.",
  ],
  ["PROVIDER_FAILED", { reason: "Entra refused the group change." }, "Entra refused the group change."],
  ["PROVIDER_FAILED", {}, "The cloud provider refused the change."],
  ["EXTENSION_NOT_ALLOWED", {}, "This grant cannot be extended; request the profile again when it ends."],
  [
    "EXTENSION_OVER_TOTAL",
    { maxTotal: 7200, left: 1800 },
    "Extensions may add at most 2h to one grant in total; this one can still be extended by 30m.",
  ],
  [
    "EXTENSION_OVER_TOTAL",
    { maxTotal: 7200, left: 0 },
    "This grant has already been extended by the most its profile allows (2h in total); request the profile again when it ends.",
  ],
  ["SHUTTING_DOWN", {}, "jitbot is restarting; please try again in a minute."],
  [
    "TEXT_TOO_LONG",
    { field: "denyReason", max: 500, length: 1234 },
    "That reason is too long: 1,234 characters, at most 500.",
  ],
  [
    "TEXT_TOO_LONG",
    { field: "ticket", max: 100, length: 101 },
    "That ticket reference is too long: 101 characters, at most 100.",
  ],
  [
    "TEXT_TOO_LONG",
    { field: "justification", max: 2000, length: 2001 },
    "That justification is too long: 2,001 characters, at most 2,000.",
  ],
  [
    "TEXT_TOO_LONG",
    { field: "command", max: 2200, length: 2201 },
    "That command is too long: 2,201 characters, at most 2,200.",
  ],
  ["TEXT_TOO_LONG", { field: "note", max: 10, length: 11 }, "That text is too long: 11 characters, at most 10."],
  ["DENY_REASON_MISSING", {}, "Please give the requester a reason."],
  ["REQUEST_ID_INVALID", {}, "That is not a request id (they look like JR-7K3Q9M). `/jit list` shows yours."],
  [
    "FORM_DAMAGED",
    {},
    "jitbot could not read what this form sent (it may come from an older version of jitbot). Close it and start again.",
  ],
  [
    "BUTTON_DAMAGED",
    {},
    "jitbot could not read this button (it may come from an older message). `/jit list` and jitbot's App Home show what you can do now.",
  ],
  [
    "STEP_UP_REQUIRED",
    {},
    "an approval of this profile counts only after you sign in with Entra ID; click Approve to get your sign-in link.",
  ],
  [
    "STEP_UP_UNAVAILABLE",
    {},
    "an approval of this profile needs an Entra ID sign-in, and this jitbot is not set up for it (JITBOT_PUBLIC_URL and the Entra app); tell jitbot's operators.",
  ],
  [
    "BREAK_GLASS_NOT_ALLOWED",
    { profile: "aks-prod" },
    'Break glass is not available for "aks-prod"; ask for approval instead.',
  ],
  [
    "BREAK_GLASS_OVER_MAX",
    { max: 3600 },
    "Break glass grants at most 1h on this profile; choose a shorter time, or ask for approval to get longer.",
  ],
  [
    "BREAK_GLASS_REASON_TOO_LONG",
    { max: 2500 },
    "That reason is too long to carry into the break-glass confirmation; keep it under about 2,500 characters.",
  ],
  ["NOT_BREAK_GLASS", { id: "JR-7K3Q9M" }, "JR-7K3Q9M is not a break-glass request; there is nothing to confirm."],
  ["BREAK_GLASS_OWN", {}, "you broke the glass yourself; another approver must confirm it."],
  ["BREAK_GLASS_CONFIRMED", { by: "U0LEAD" }, "it was already confirmed by <@U0LEAD>."],
  ["BREAK_GLASS_OVER", { status: "grant_failed" }, "this break-glass access is already over (grant failed)."],
  ["BREAK_GLASS_TOO_LATE", {}, "the time to confirm it has passed; the access is being revoked."],
];

describe("what a person is told", () => {
  it.each(SENTENCES)("for %s %j", (code, detail, sentence) => {
    expect(domainMessage(new DomainError(code, detail))).toBe(sentence);
  });

  it.each([
    ["revoking", undefined],
    ["revoke_after_grant", "JR-7K3Q9M is still being granted; it will be revoked as soon as the grant completes."],
    ["cancelled", "JR-7K3Q9M was withdrawn before its grant started; no access was granted."],
  ] as const)("answers an early end that is %s", (outcome, answer) => {
    expect(earlyEndAnswer(outcome, "JR-7K3Q9M")).toBe(answer);
  });

  it("makes correlation ids of eight hex digits, a new one each time", () => {
    const ids = Array.from({ length: 50 }, newCorrelationId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(ids).size).toBe(50);
  });

  it.each([
    ["a refusal speaks for itself", new DomainError("SELF_APPROVAL"), "you cannot approve your own request."],
    [
      "a provider failure says its own sentence",
      new ProviderError("FORBIDDEN", "jitbot may not assume the role."),
      "jitbot may not assume the role.",
    ],
    [
      "an error merely named ProviderError gets the reference",
      Object.assign(new Error("raw"), { name: "ProviderError" }),
      "Something went wrong inside jitbot (reference 0badcafe); an operator can find the details in the logs.",
    ],
    [
      "an error carrying a userMessage under another name gets the reference",
      Object.assign(new Error("raw"), { userMessage: "xoxb-leaked" }),
      "Something went wrong inside jitbot (reference 0badcafe); an operator can find the details in the logs.",
    ],
    [
      "a thrown string gets the reference",
      "socket hang up",
      "Something went wrong inside jitbot (reference 0badcafe); an operator can find the details in the logs.",
    ],
  ])("describes a failure: %s", (_why, error, sentence) => {
    expect(describeFailure(error, "0badcafe")).toBe(sentence);
  });
});
