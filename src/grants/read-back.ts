import type { Clock } from "../domain/clock.js";
import type { ActiveGrant, ReadBack, RevokeReader } from "./provider.js";

/**
 * Waits between read-backs after a revoke. Entra and IAM replicate a removal within seconds, so a
 * read that still shows access is tried again three times (1 s, 2 s, 4 s) before the revoke counts
 * as unverified and goes back to the revoker's own retry with backoff.
 */
export const REVOKE_READ_BACK_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000];

export interface SettledReadBack extends ReadBack {
  /** The last read agreed with what was wanted. */
  agreed: boolean;
  /** Clock time from the first read to the last one (the one that agreed, when one did). */
  elapsedMs: number;
  reads: number;
}

/**
 * Reads back until the cloud shows what is wanted ("gone" after a revoke, "present" after a grant)
 * or the delays run out. Waits go through the injected clock. A read that throws is not retried
 * here: the caller decides (the revoker retries with backoff, `jitbot conformance` shows a ✗).
 */
export async function readBackUntil(
  reader: RevokeReader,
  grant: ActiveGrant,
  want: "gone" | "present",
  clock: Clock,
  delaysMs: readonly number[] = REVOKE_READ_BACK_DELAYS_MS,
): Promise<SettledReadBack> {
  const started = clock.now().getTime();
  for (let reads = 1; ; reads++) {
    const result = await reader.readBack(grant);
    const agreed = result.status === want;
    const delay = delaysMs[reads - 1];
    // "unrecallable" is final: no amount of waiting makes issued keys stop working sooner.
    if (agreed || result.status === "unrecallable" || delay === undefined) {
      return { ...result, agreed, elapsedMs: clock.now().getTime() - started, reads };
    }
    await new Promise<void>((resolve) => clock.setTimer(resolve, delay));
  }
}
