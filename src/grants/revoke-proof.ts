import { backoffMs } from "./concurrency.js";
import type { EngineDeps } from "./engine.js";
import { isProviderError, ProviderError } from "./errors.js";
import { type ActiveGrant, canReadBack, type GrantProvider, type RevokeReader } from "./provider.js";
import type { ProviderCalls } from "./provider-calls.js";
import { readBackUntil } from "./read-back.js";

/** Throttled read-backs tried within one revoke before it counts as unverified (and is retried). */
const THROTTLED_READS = 5;

/** What the audit row of an ended grant says about the read-back. */
export interface Proof {
  verified: boolean;
  readBack?: string;
}

type ProofDeps = Pick<EngineDeps, "clock" | "metrics">;

/**
 * Reads back what the revoke removed, allowing a few seconds for replication. Access still shown
 * after that is a NOT_REVOKED failure, and a read that cannot run throws too: either way the grant
 * stays due and goes through the retry, backoff and channel alert of any failed revoke. A read-back
 * never puts anything back.
 */
export async function proveRevoke(
  deps: ProofDeps,
  calls: ProviderCalls,
  provider: GrantProvider,
  grant: ActiveGrant,
): Promise<Proof> {
  const count = (verified: boolean) =>
    deps.metrics?.revocations.inc({ provider: provider.type, verified: String(verified) });
  if (!canReadBack(provider)) {
    count(false);
    return { verified: false };
  }
  let result: Awaited<ReturnType<typeof readBackUntil>>;
  try {
    result = await readBackUntil(paced(deps, calls, provider), grant, "gone", deps.clock);
  } catch (error) {
    count(false);
    throw error;
  }
  count(result.status === "gone");
  if (result.status === "present") {
    throw new ProviderError(
      "NOT_REVOKED",
      `The cloud still shows the access after jitbot removed it (${result.detail}); jitbot keeps the grant active and retries the revoke.`,
    );
  }
  return { verified: result.status === "gone", readBack: result.detail };
}

/**
 * Reads that keep to the provider's pause (a 429 seen by any worker slows every worker), and a
 * throttled read waits its Retry-After and reads again: under a mass expiry, a throttled read
 * must not cost the revoke it follows, which would be done again and throttled again.
 */
function paced(deps: ProofDeps, calls: ProviderCalls, provider: GrantProvider & RevokeReader): RevokeReader {
  return {
    readBack: async (grant) => {
      for (let attempt = 1; ; attempt++) {
        await calls.waitFor(provider.type);
        try {
          return await provider.readBack(grant);
        } catch (error) {
          const throttled = isProviderError(error) && error.code === "THROTTLED";
          if (!throttled || attempt >= THROTTLED_READS) throw error;
          const wait = error.retryAfterMs ?? backoffMs(attempt);
          calls.pause(provider.type, deps.clock.now().getTime() + wait);
        }
      }
    },
  };
}
