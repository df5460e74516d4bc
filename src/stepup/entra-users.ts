import type { Client } from "@microsoft/microsoft-graph-client";
import type { Policy, Profile } from "../config/schema.js";
import { findEntraUser } from "../grants/entra/identity.js";
import { isProviderError } from "../grants/errors.js";

/**
 * The Entra object id behind an approver's Slack email (identity.emailDomainMap applied): the same
 * lookup a grant makes (UPN, then `mail`). Undefined when Entra has no such user; throws when Graph
 * cannot answer.
 */
export type EntraUserIds = (slackEmail: string, profile: Profile) => Promise<string | undefined>;

/** Looks approvers up through Graph; the client is made on the first sign-in, not at start-up. */
export function graphUserIds(policy: Policy, makeClient: () => Client): EntraUserIds {
  let client: Client | undefined;
  return async (slackEmail, profile) => {
    client ??= makeClient();
    try {
      return (await findEntraUser(client, slackEmail, profile, policy)).id;
    } catch (error) {
      if (isProviderError(error) && error.code === "IDENTITY_NOT_FOUND") return undefined;
      throw error;
    }
  };
}
