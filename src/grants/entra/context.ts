import type { Client } from "@microsoft/microsoft-graph-client";
import type { Policy } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import type { ProviderState } from "../provider.js";
import type { ThrottleWatch } from "./throttle-watch.js";

export interface EntraLogger {
  warn(obj: object, msg?: string): void;
}

/** What every Entra provider gets through its constructor: one Graph client, the policy, a logger. */
export interface EntraContext {
  client: Client;
  policy: Policy;
  /** Origin of Graph (https://graph.microsoft.com or the national cloud), for @odata.id references. */
  graphBaseUrl: string;
  /** Tenant people sign in to with a service principal: entra.tenantId, else AZURE_TENANT_ID. */
  tenantId: string | undefined;
  logger: EntraLogger;
  /** Time for the replication backoff (tests move it; production waits). */
  clock: Clock;
  /** When Graph last throttled `client` (absent: never known to, as in tests that build their own client). */
  throttle?: ThrottleWatch;
}

export function stateString(state: ProviderState, key: string): string | undefined {
  const value = state[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
