import type { Policy, Profile } from "../config/schema.js";
import { entraEmailFor } from "../grants/entra/identity.js";
import type { EntraUserIds } from "./entra-users.js";
import type { SignedIn } from "./oidc.js";

/**
 * The ID token must name the approver who clicked: their Slack email, or the Entra address it maps
 * to (identity.emailDomainMap), equals the token's email, preferred_username or upn (case aside).
 * Undefined when it does; else the page's sentence.
 */
export function signedInMismatch(
  slackEmail: string | undefined,
  profile: Profile,
  policy: Policy,
  signedIn: SignedIn,
): string | undefined {
  const email = slackEmail?.trim();
  if (!email) {
    return "jitbot cannot read your email address from Slack, so it cannot tell that this sign-in is yours; nothing was recorded.";
  }
  const expected = new Set([email.toLowerCase(), entraEmailFor(email, profile, policy).toLowerCase()]);
  if (signedIn.names.some((name) => expected.has(name))) return undefined;
  const who = signedIn.names[0] ?? "an account without an email address";
  return `You signed in as ${who}, which is not the Slack approver this link was made for, so nothing was recorded.`;
}

/** Why a sign-in whose names matched is still not the approver's, for the audit and the page. */
export type AccountRefusal =
  | { kind: "other_account"; sentence: string }
  | { kind: "unavailable"; sentence: string; error: unknown };

/**
 * Names are not enough: `email` and `preferred_username` can be edited and must not be used for
 * authorization ("Don't use email or upn claim values to store or determine whether the user in an
 * access token should have access to data", learn.microsoft.com/entra/identity-platform/id-token-claims-reference).
 * The token's `oid`, which never changes and is never reused, must be the object id Entra gives for
 * the approver's Slack email. Undefined when it is.
 */
export async function accountRefusal(
  userIds: EntraUserIds,
  slackEmail: string,
  profile: Profile,
  signedIn: SignedIn,
): Promise<AccountRefusal | undefined> {
  let expected: string | undefined;
  try {
    expected = await userIds(slackEmail, profile);
  } catch (error) {
    return {
      kind: "unavailable",
      sentence:
        "jitbot could not look up your Entra account to check that this sign-in is yours, so your approval was not recorded; click Approve in Slack to try again.",
      error,
    };
  }
  if (expected !== undefined && signedIn.oid !== undefined && expected.toLowerCase() === signedIn.oid.toLowerCase()) {
    return undefined;
  }
  // The sign-in name (preferred_username, upn) says whose account it is; the email claim may not.
  const who = signedIn.names.at(-1) ?? "an account without a sign-in name";
  return {
    kind: "other_account",
    sentence: `You signed in as ${who}, but that is not the Entra account of the Slack approver this link was made for (its object id differs), so nothing was recorded.`,
  };
}
