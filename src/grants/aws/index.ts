import type { Policy } from "../../config/schema.js";
import { policyParts } from "../../domain/bundle.js";
import type { Clock } from "../../domain/clock.js";
import { type KeyedLock, serialisedByKey } from "../concurrency.js";
import type { GrantProvider } from "../provider.js";
import { type AwsLogger, AwsRoleProvider } from "./access.js";
import { EksAccessEntryProvider } from "./access-entry.js";
import { AwsClients } from "./clients.js";
import { STS_MIN_SECONDS } from "./options.js";

export { AwsRoleProvider } from "./access.js";
export { EksAccessEntryProvider } from "./access-entry.js";

/** Without a store's lock (tools, tests): one per process, shared by every provider instance. */
const inThisProcess = serialisedByKey();

/**
 * The AWS providers (`aws-role`, `eks-access-entry`). SDK clients are created on first use, from
 * `env` (region, endpoints, static keys) or the SDK's default chain (IRSA, EKS Pod Identity).
 */
export function createAwsProviders(deps: {
  env: NodeJS.ProcessEnv;
  policy: Policy;
  clock: Clock;
  logger?: AwsLogger;
  /** Serialises edits of one IAM role's policy; the store's `exclusive` holds across replicas. */
  lock?: KeyedLock;
}): GrantProvider[] {
  const clients = new AwsClients(deps.env);
  for (const profile of policyParts(deps.policy)) {
    // The default request would be refused at request time; say so once at start-up.
    if (
      profile.grant.type === "aws-role" &&
      !profile.grant.revokeSessions &&
      profile.duration.default < STS_MIN_SECONDS
    ) {
      deps.logger?.warn(
        { profile: profile.id },
        "aws-role profile: duration.default is under 15m, the shortest STS session; such requests are refused",
      );
    }
  }
  return [
    new AwsRoleProvider({ clients, clock: deps.clock, logger: deps.logger, lock: deps.lock ?? inThisProcess }),
    new EksAccessEntryProvider(clients),
  ];
}
