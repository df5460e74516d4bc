import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../config/load.js";
import { signedInMismatch } from "./match.js";

const policy = parsePolicy(
  readFileSync(new URL("../../jitbot.example.yaml", import.meta.url), "utf8").replace(
    "emailDomainMap: {}",
    "emailDomainMap: { contoso.io: contoso.com }",
  ),
);
const profile = policy.profiles[0];
if (!profile) throw new Error("the example has profiles");
const signedIn = (...names: string[]) => ({ names, oid: undefined, acrs: [] });

describe("the signed-in user must be the Slack approver", () => {
  it.each([
    ["the same email", "lee@contoso.com", signedIn("lee@contoso.com"), undefined],
    [
      "the same email in other case (tokens are lower-cased by the caller)",
      "Lee@Contoso.com",
      signedIn("lee@contoso.com"),
      undefined,
    ],
    ["the UPN when the email claim is absent", "lee@contoso.com", signedIn("lee@contoso.com"), undefined],
    [
      "the Entra form of the Slack email (identity.emailDomainMap)",
      "lee@contoso.io",
      signedIn("lee@contoso.com"),
      undefined,
    ],
  ])("accepts %s", (_case, slack, token, expected) => {
    expect(signedInMismatch(slack, profile, policy, token)).toBe(expected);
  });

  it.each([
    [
      "someone else",
      "lee@contoso.com",
      signedIn("omar@contoso.com"),
      "You signed in as omar@contoso.com, which is not the Slack approver this link was made for, so nothing was recorded.",
    ],
    [
      "a look-alike that only shares the local part",
      "lee@contoso.com",
      signedIn("lee@contoso.com.evil.example"),
      "You signed in as lee@contoso.com.evil.example, which is not the Slack approver this link was made for, so nothing was recorded.",
    ],
    [
      "a token with no name at all",
      "lee@contoso.com",
      signedIn(),
      "You signed in as an account without an email address, which is not the Slack approver this link was made for, so nothing was recorded.",
    ],
    [
      "an approver whose Slack email jitbot cannot read",
      undefined,
      signedIn("lee@contoso.com"),
      "jitbot cannot read your email address from Slack, so it cannot tell that this sign-in is yours; nothing was recorded.",
    ],
  ])("refuses %s", (_case, slack, token, expected) => {
    expect(signedInMismatch(slack, profile, policy, token)).toBe(expected);
  });
});
