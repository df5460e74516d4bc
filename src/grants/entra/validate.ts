import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import { PIM_MIN_SECONDS } from "./options.js";

/** PIM for Groups refuses assignments shorter than five minutes; say so before anyone approves one. */
export function checkPimRequest(_profile: Profile, durationSeconds: number): string | undefined {
  if (durationSeconds >= PIM_MIN_SECONDS) return undefined;
  return `PIM for Groups does not make an assignment shorter than ${formatDuration(PIM_MIN_SECONDS)}; ask for ${formatDuration(PIM_MIN_SECONDS)} or more.`;
}

/** A service-principal DM must name the tenant to sign in to. */
export function checkServicePrincipalRequest(tenantId: string | undefined): string | undefined {
  if (tenantId) return undefined;
  return "jitbot does not know the Entra tenant id to put in the service-principal login; an operator must set entra.tenantId in the policy or AZURE_TENANT_ID.";
}
