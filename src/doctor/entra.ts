import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { type Client, GraphError } from "@microsoft/microsoft-graph-client";
import type { Policy, Profile } from "../config/schema.js";
import { policyParts } from "../domain/bundle.js";
import { createGraphClient, graphEndpoint } from "../grants/entra/graph.js";
import { grantedRoles, missingPermissions, requiredPermissions } from "./permissions.js";
import { type CheckRow, failed, ok, skipped } from "./report.js";

type EntraProfile = Profile & { grant: { type: "entra-group" | "entra-pim-group" | "entra-service-principal" } };

const CONSENT = "with admin consent (az ad app permission admin-consent; see docs/entra.md)";

export function isEntraProfile(profile: Profile): profile is EntraProfile {
  return profile.grant.type.startsWith("entra-");
}

/**
 * Read-only: a token from the same credential the providers use, then per profile GET the group and
 * list one member. Nothing in Entra is changed; a missing write permission shows in the token's roles.
 */
export async function entraChecks(
  env: NodeJS.ProcessEnv,
  policy: Policy,
  credential: TokenCredential = new DefaultAzureCredential(),
): Promise<CheckRow[]> {
  const profiles = policyParts(policy).filter(isEntraProfile);
  if (profiles.length === 0) return [];
  let scope: string;
  try {
    scope = graphEndpoint(env).scope;
  } catch (error) {
    return [
      failed("Graph endpoint", "GRAPH_BASE_URL", firstLine(error), "set GRAPH_BASE_URL to an https Graph origin"),
    ];
  }
  let roles: string[] | undefined;
  try {
    const token = await credential.getToken(scope);
    if (!token) throw new Error("the credential returned no token");
    roles = grantedRoles(token.token);
  } catch (error) {
    return [
      failed(
        "Azure credential",
        scope,
        `no token: ${firstLine(error)}`,
        "give the bot an Azure identity: workload identity (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_FEDERATED_TOKEN_FILE) or AZURE_CLIENT_SECRET for an app registration",
      ),
      skipped("Entra profiles", profiles.map((p) => p.id).join(", "), "skipped: no Azure token"),
    ];
  }
  const rows: CheckRow[] = [
    ok(
      "Azure credential",
      scope,
      roles === undefined
        ? "token obtained (opaque: application permissions not listed)"
        : `token obtained (${roles.length} application permission(s))`,
    ),
  ];
  const client = createGraphClient({ env, credential, maxRetries: 1 });
  for (const profile of profiles) {
    rows.push(await groupRow(client, profile));
    rows.push(await permissionRow(client, profile, policy, roles));
  }
  return rows;
}

async function groupRow(client: Client, profile: EntraProfile): Promise<CheckRow> {
  const { groupId } = profile.grant;
  const target = `${profile.id}: group ${groupId}`;
  try {
    const group = (await client.api(`/groups/${groupId}`).select("id,displayName").get()) as { displayName?: string };
    return ok("Entra group", target, `readable: "${group.displayName ?? groupId}"`);
  } catch (error) {
    return graphFailure("Entra group", target, error, "GroupMember.Read.All (or GroupMember.ReadWrite.All)");
  }
}

async function permissionRow(
  client: Client,
  profile: EntraProfile,
  policy: Policy,
  roles: string[] | undefined,
): Promise<CheckRow> {
  const type = profile.grant.type;
  const target = `${profile.id} (${type})`;
  const needed = requiredPermissions(type, policy.entra.revokeSessionsOnExpiry);
  if (roles !== undefined) {
    const missing = missingPermissions(needed, roles);
    if (missing.length > 0) {
      return failed(
        "Entra permissions",
        target,
        `the app lacks ${missing.join(", ")}`,
        `grant jitbot's Entra app the Microsoft Graph application permission(s) ${missing.join(", ")} ${CONSENT}`,
      );
    }
  }
  // Listing members is what every type does first (standing-member check, drift report).
  const readMembers = type === "entra-pim-group" ? "GroupMember.Read.All" : "GroupMember.ReadWrite.All";
  try {
    await client.api(`/groups/${profile.grant.groupId}/members`).select("id").top(1).get();
  } catch (error) {
    return graphFailure("Entra permissions", target, error, readMembers);
  }
  return ok(
    "Entra permissions",
    target,
    roles === undefined
      ? `members readable; needs ${needed.join(", ")} (not visible in this token)`
      : `has ${needed.join(", ")}`,
  );
}

function graphFailure(check: string, target: string, error: unknown, permission: string): CheckRow {
  if (!(error instanceof GraphError) || error.statusCode <= 0) {
    return failed(
      check,
      target,
      `Graph unreachable: ${firstLine(error)}`,
      "check GRAPH_BASE_URL and egress to Microsoft Graph (HTTPS)",
    );
  }
  const answer = `${error.statusCode} ${error.code ?? ""}`.trim();
  if (error.statusCode === 403) {
    return failed(
      check,
      target,
      `${answer}: permission ${permission} missing`,
      `grant jitbot's Entra app the Microsoft Graph application permission ${permission} ${CONSENT}`,
    );
  }
  if (error.statusCode === 404) {
    return failed(check, target, `${answer}: no such group`, "check grant.groupId: the group's object id in Entra");
  }
  if (error.statusCode === 401) {
    return failed(
      check,
      target,
      `${answer}: token not accepted`,
      "check AZURE_TENANT_ID and AZURE_CLIENT_ID: the token must be for jitbot's app in the cluster's tenant",
    );
  }
  return failed(
    check,
    target,
    `Graph answered ${answer}`,
    "retry later; if it persists check Microsoft Graph's status",
  );
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
