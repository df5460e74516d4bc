import type { Policy, Profile } from "../config/schema.js";
import { entraEmailFor } from "../grants/entra/identity.js";
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
