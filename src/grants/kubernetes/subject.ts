/**
 * Who the person is on the cluster: the user name the cluster's authenticator gives them, which is
 * what a binding's subject must name (RBAC matches `kind: User` subjects by that exact string).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Policy, Profile } from "../../config/schema.js";
import { roleSessionName } from "../aws/validate.js";
import { findEntraUser } from "../entra/identity.js";
import { ProviderError } from "../errors.js";
import type { GrantSubject } from "../provider.js";
import { SESSION_NAME } from "./options.js";

export interface ClusterUser {
  /** The Kubernetes user name: a binding's subject and a SubjectAccessReview's spec.user. */
  name: string;
  /** How it was derived, for the audit detail ("Entra UPN", "EKS access entry username"). */
  source: string;
}

/**
 * A guest's UPN carries #EXT# (learn.microsoft.com/entra/external-id/user-properties, "User
 * principal name"): "If the user is in a different Microsoft Entra tenant, query for and use the
 * objectId property instead" (learn.microsoft.com/azure/aks/kubernetes-rbac-entra-id).
 */
const GUEST_UPN = /#EXT#/i;

/**
 * AKS with Entra integration names a member by UPN — "assign permissions based on the UPN"
 * (kubernetes-rbac-entra-id) — which can differ from the mail Slack knows, so it is read from Graph.
 */
export async function aksUser(
  graph: Client,
  subject: GrantSubject,
  profile: Profile,
  policy: Policy,
): Promise<ClusterUser> {
  const user = await findEntraUser(graph, subject.email, profile, policy);
  if (!user.userPrincipalName || GUEST_UPN.test(user.userPrincipalName)) {
    return { name: user.id, source: "Entra object id (guest or no UPN)" };
  }
  return { name: user.userPrincipalName, source: "Entra UPN" };
}

/**
 * EKS renders the access entry's username for each request; {{SessionName}} is "the role session
 * name, with @ characters transliterated to - characters" (aws-iam-authenticator README, which
 * access entries follow; {{SessionNameRaw}} is not offered, aws/containers-roadmap#2386). jitbot's
 * sessions are named after the person's email (aws-role), so alice@example.com is alice-example.com.
 */
export function eksUser(template: string, subject: GrantSubject): ClusterUser {
  if (!subject.email) {
    throw new ProviderError(
      "IDENTITY_NOT_FOUND",
      "Slack shares no email for you, and your EKS user name is made from it; ask an admin to check the bot's users:read.email scope.",
      { retryable: false },
    );
  }
  const sessionName = eksSessionName(subject);
  return { name: template.replaceAll(SESSION_NAME, sessionName), source: "EKS access entry username" };
}

/** The role session name as {{SessionName}} shows it. */
export function eksSessionName(subject: GrantSubject): string {
  return roleSessionName(subject).replaceAll("@", "-");
}
