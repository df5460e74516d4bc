import type { Policy } from "../../config/schema.js";
import { type Clock, systemClock } from "../../domain/clock.js";
import type { GrantProvider } from "../provider.js";
import type { EntraContext, EntraLogger } from "./context.js";
import { createGraphClient, graphEndpoint } from "./graph.js";
import { EntraGroupProvider } from "./group.js";
import { EntraPimGroupProvider } from "./pim-group.js";
import { EntraServicePrincipalProvider } from "./service-principal.js";
import { ThrottleWatch } from "./throttle-watch.js";

const silentLogger: EntraLogger = { warn: () => {} };

/**
 * The three Entra grant types, sharing one Graph client. Reads GRAPH_BASE_URL and AZURE_TENANT_ID
 * from `env`; the Azure credential (DefaultAzureCredential) reads its own variables from the process
 * environment, as @azure/identity always does.
 */
export function createEntraProviders(deps: {
  env: NodeJS.ProcessEnv;
  policy: Policy;
  clock?: Clock;
  logger?: { warn(obj: object, msg?: string): void };
}): GrantProvider[] {
  const clock = deps.clock ?? systemClock;
  const throttle = new ThrottleWatch(clock);
  const ctx: EntraContext = {
    client: createGraphClient({ env: deps.env, throttle }),
    policy: deps.policy,
    graphBaseUrl: graphEndpoint(deps.env).baseUrl,
    tenantId: deps.policy.entra.tenantId ?? (deps.env.AZURE_TENANT_ID?.trim() || undefined),
    logger: deps.logger ?? silentLogger,
    clock,
    throttle,
  };
  return [new EntraGroupProvider(ctx), new EntraPimGroupProvider(ctx), new EntraServicePrincipalProvider(ctx)];
}

export { EntraGroupProvider, EntraPimGroupProvider, EntraServicePrincipalProvider };
