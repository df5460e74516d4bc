import * as oidc from "openid-client";
import type { Policy } from "../config/schema.js";
import { readStepUpSettings, redirectUri, stepUpProfiles } from "../stepup/settings.js";
import { type CheckRow, failed, ok } from "./report.js";

/**
 * Approver step-up: the environment it needs, and Entra's discovery document for the tenant (read
 * only; no sign-in is attempted). The redirect URI to register is printed on success.
 */
export async function stepUpChecks(env: NodeJS.ProcessEnv, policy: Policy): Promise<CheckRow[]> {
  const profiles = stepUpProfiles(policy).map((p) => p.id);
  if (profiles.length === 0) return [];
  const { settings, problems } = readStepUpSettings(policy, env);
  if (!settings) {
    return problems.map((problem) =>
      failed(
        "approver step-up",
        profiles.join(", "),
        problem,
        'set the variables named; see README, section "Approver step-up"',
      ),
    );
  }
  try {
    await oidc.discovery(settings.issuer, settings.clientId, settings.clientSecret, undefined, { timeout: 10 });
  } catch (error) {
    return [
      failed(
        "Entra sign-in",
        settings.issuer.href,
        `discovery failed: ${error instanceof Error ? error.message : String(error)}`,
        "check AZURE_TENANT_ID (the tenant's GUID), AZURE_AUTHORITY_HOST and egress to it",
      ),
    ];
  }
  return [
    ok(
      "Entra sign-in",
      settings.issuer.href,
      `discovery answered; register the redirect URI ${redirectUri(settings.publicUrl)} in the app ${settings.clientId}`,
    ),
  ];
}
