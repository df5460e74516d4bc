import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { PIM_MAX_SECONDS } from "./options.js";

/** PIM for Groups refuses assignments longer than 8 h; say so before anyone approves one. */
export function checkPimRequest(_profile: Profile, durationSeconds: number): string | undefined {
  if (durationSeconds <= PIM_MAX_SECONDS) return undefined;
  return `PIM for Groups caps an assignment at ${formatDuration(PIM_MAX_SECONDS)}; ask for ${formatDuration(PIM_MAX_SECONDS)} or less.`;
}

/** A service-principal DM must name the tenant to sign in to. */
export function checkServicePrincipalRequest(tenantId: string | undefined): string | undefined {
  if (tenantId) return undefined;
  return "jitbot does not know the Entra tenant id to put in the service-principal login; an operator must set entra.tenantId in the policy or AZURE_TENANT_ID.";
}
