import { formatDuration } from "../../config/duration.js";
import type { Policy, Profile } from "../../config/schema.js";
import type { ConnectInstructions, ConnectSection, GrantRequest } from "../provider.js";

/** Why access can outlive the grant: AKS trusts the group claim in tokens that Entra already issued. */
export const TOKEN_LIFETIME_NOTE =
  "Entra tokens already issued keep their group claims for up to ~60–90 minutes, so access to the cluster can outlive the grant by that much (and a new grant may need `kubelogin remove-tokens` before it shows).";

const SESSIONS_REVOKED_NOTE =
  "When the grant ends, jitbot also revokes your Entra sign-in sessions, so you will have to sign in again everywhere.";

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The AKS part of every Entra DM: fetch the kubeconfig, switch kubelogin to the az login, check. */
export function aksSections(profile: Profile, options: { freshTokens: boolean }): ConnectSection[] {
  const cluster = profile.cluster;
  if (cluster.kind !== "aks") return [];
  const getCredentials = [
    "az aks get-credentials",
    `--resource-group ${shellQuote(cluster.resourceGroup)}`,
    `--name ${shellQuote(cluster.name)}`,
    `--subscription ${shellQuote(cluster.subscriptionId)}`,
  ].join(" ");
  const kubelogin = ["kubelogin convert-kubeconfig -l azurecli"];
  // Cached tokens carry the group claims from before the grant; dropping them makes the new one count.
  if (options.freshTokens) kubelogin.push("kubelogin remove-tokens");
  const scope = cluster.namespace ? `--namespace ${shellQuote(cluster.namespace)}` : "--all-namespaces";
  return [
    {
      heading: `Connect to ${cluster.name}`,
      code: [getCredentials, ...kubelogin].join("\n"),
    },
    { heading: "Check your access", code: `kubectl auth can-i get pods ${scope}` },
  ];
}

export function entraNotes(policy: Policy, extra: string[] = []): string[] {
  const notes = [...extra, TOKEN_LIFETIME_NOTE];
  if (policy.entra.revokeSessionsOnExpiry) notes.push(SESSIONS_REVOKED_NOTE);
  return notes;
}

/** DM for the two user-based grant types (group membership, PIM assignment). */
export function userInstructions(
  request: GrantRequest,
  policy: Policy,
  what: string,
  options: { standingMember?: boolean } = {},
): ConnectInstructions {
  const extra = options.standingMember
    ? [
        "You were already a member of this group before this request; jitbot will leave that membership in place when the grant ends.",
      ]
    : [];
  return {
    summary: `${what} for ${formatDuration(request.durationSeconds)}, until ${request.expiresAt.toISOString()}.`,
    sections: [
      { heading: "Sign in to Azure", code: "az login" },
      ...aksSections(request.profile, { freshTokens: !options.standingMember }),
    ],
    notes: entraNotes(policy, extra),
  };
}
