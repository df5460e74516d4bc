import { formatDuration } from "../../config/duration.js";
import type { Policy, Profile } from "../../config/schema.js";
import type { ConnectInstructions, ConnectSection, GrantRequest } from "../provider.js";

/**
 * Why access can outlive the grant: AKS trusts the group claim in tokens that Entra already issued.
 * With `kubelogin -l azurecli` those tokens sit in the az CLI's own cache (kubelogin caches none in
 * that mode, and `remove-tokens` is deprecated), so only signing in again fetches a token with the
 * current groups (Azure/azure-cli#29185: "waiting for token expiration or az logout and az login").
 */
export const TOKEN_LIFETIME_NOTE =
  "Entra tokens already issued keep their group claims for up to ~60–90 minutes, so access to the cluster can outlive the grant by that much. The same delay works the other way: a token the az CLI cached before the grant lacks the new group until you sign in again (`az logout`, then `az login`).";

/** Signing in again is what drops az's cached token; `az logout` with no account only warns. */
const SIGN_IN_AGAIN =
  "Sign in again even if you already are: the token az cached before this grant lacks the new group, and kubelogin (in its azurecli mode) uses az's token. `az logout` may say there is no account; that is fine.";

const SESSIONS_REVOKED_NOTE =
  "When the grant ends, jitbot also revokes your Entra sign-in sessions, so you will have to sign in again everywhere.";

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The AKS part of every Entra DM: fetch the kubeconfig, switch kubelogin to the az login, check. */
export function aksSections(profile: Profile): ConnectSection[] {
  const cluster = profile.cluster;
  if (cluster.kind !== "aks") return [];
  const getCredentials = [
    "az aks get-credentials",
    `--resource-group ${shellQuote(cluster.resourceGroup)}`,
    `--name ${shellQuote(cluster.name)}`,
    `--subscription ${shellQuote(cluster.subscriptionId)}`,
  ].join(" ");
  const scope = cluster.namespace ? `--namespace ${shellQuote(cluster.namespace)}` : "--all-namespaces";
  return [
    {
      heading: `Connect to ${cluster.name}`,
      code: [getCredentials, "kubelogin convert-kubeconfig -l azurecli"].join("\n"),
    },
    { heading: "Check your access", code: `kubectl auth can-i get pods ${scope}` },
  ];
}

/**
 * The service principal's sign-in. `--password=…` because the az CLI's argument parser takes a
 * secret starting with `-` for an option ("expected one argument", Azure/azure-cli#12105), and
 * Entra's generated secrets may start with one.
 */
export function servicePrincipalLogin(tenantId: string, appId: string, secret: string): string {
  return `az login --service-principal --tenant ${tenantId} --username ${appId} --password=${shellQuote(secret)}`;
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
      options.standingMember
        ? { heading: "Sign in to Azure", code: "az login" }
        : { heading: "Sign in to Azure (again)", text: SIGN_IN_AGAIN, code: "az logout\naz login" },
      ...aksSections(request.profile),
    ],
    notes: entraNotes(policy, extra),
  };
}
