import type { Client } from "@microsoft/microsoft-graph-client";
import type { User } from "@microsoft/microsoft-graph-types";
import type { Policy, Profile } from "../../config/schema.js";
import { ProviderError } from "../errors.js";
import { graphCall, isNotFound } from "./errors.js";

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
}

const USER_FIELDS = "id,userPrincipalName,mail,displayName";
const READ_USERS = { permission: "User.Read.All" };

/**
 * Slack and Entra often disagree on the domain (example.io vs example.com). The profile's map wins
 * over the global one; domains compare case-insensitively.
 */
export function entraEmailFor(slackEmail: string, profile: Profile, policy: Policy): string {
  const email = slackEmail.trim();
  const at = email.lastIndexOf("@");
  if (at < 0) return email;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  const lookup = (map: Record<string, string> | undefined): string | undefined => {
    if (!map) return undefined;
    for (const [from, to] of Object.entries(map)) if (from.toLowerCase() === domain) return to;
    return undefined;
  };
  const mapped = lookup(profile.identity?.emailDomainMap) ?? lookup(policy.identity.emailDomainMap);
  return mapped ? `${local}@${mapped}` : email;
}

function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

type UserRecord = Pick<User, "id" | "userPrincipalName" | "displayName">;

function toEntraUser(record: UserRecord | undefined): EntraUser | undefined {
  if (!record?.id) return undefined;
  return {
    id: record.id,
    userPrincipalName: record.userPrincipalName ?? "",
    displayName: record.displayName ?? record.userPrincipalName ?? record.id,
  };
}

/** Finds the Entra user behind a Slack email: by UPN first (the usual case), then by `mail`. */
export async function findEntraUser(
  client: Client,
  slackEmail: string,
  profile: Profile,
  policy: Policy,
): Promise<EntraUser> {
  const email = entraEmailFor(slackEmail, profile, policy);
  const action = `look up ${email} in Entra`;
  const byUpn = await graphCall({ ...READ_USERS, action }, async () => {
    try {
      return (await client
        .api(`/users/${encodeURIComponent(email)}`)
        .select(USER_FIELDS)
        .get()) as UserRecord;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
  const user =
    toEntraUser(byUpn) ??
    toEntraUser(
      await graphCall({ ...READ_USERS, action }, async () => {
        const page = (await client
          .api("/users")
          .filter(`mail eq ${odataString(email)}`)
          .select(USER_FIELDS)
          .top(2)
          .get()) as { value?: UserRecord[] };
        // Two users sharing a mail would make the grant ambiguous; refuse rather than guess.
        return page.value?.length === 1 ? page.value[0] : undefined;
      }),
    );
  if (user) return user;
  const looked = email === slackEmail.trim() ? "" : ` (looked up as ${email})`;
  throw new ProviderError(
    "IDENTITY_NOT_FOUND",
    `your Slack email ${slackEmail.trim()} is not a user in Entra${looked}: ask an admin to align your Slack email with your Entra sign-in name or add your domain to identity.emailDomainMap.`,
  );
}
