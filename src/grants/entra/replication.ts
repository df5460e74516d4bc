import { GraphError } from "@microsoft/microsoft-graph-client";
import type { Clock } from "../../domain/clock.js";
import { ProviderError } from "../errors.js";
import { type GraphOperation, toProviderError } from "./errors.js";

/**
 * Waits between tries while Entra replicates an object this grant has just written: a new
 * application, service principal, membership or deleted item can answer 404 for a few seconds on
 * the next call, which may reach another replica (Graph best practices: directory data is
 * eventually consistent). 30 s in all, through the injected clock.
 */
export const REPLICATION_WAITS_MS = [1000, 2000, 4000, 8000, 15000] as const;
const TOTAL_SECONDS = REPLICATION_WAITS_MS.reduce((sum, ms) => sum + ms, 0) / 1000;

/** A 404 naming `objectId` (Graph's "Resource '<id>' does not exist…"), or any 404 when no id is given. */
export function isMissing(objectId?: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof GraphError &&
    error.statusCode === 404 &&
    (objectId === undefined || error.message.includes(objectId));
}

/**
 * Runs `call` until it stops failing with `notYetThere`, waiting REPLICATION_WAITS_MS between tries.
 * When Entra still has not shown the object, the failure is a retryable sentence saying so; any
 * other failure becomes the usual sentence for `op`.
 */
export async function afterReplication<T>(
  clock: Clock,
  op: GraphOperation & { created: string },
  notYetThere: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!notYetThere(error)) throw toProviderError(error, op);
      const wait = REPLICATION_WAITS_MS[attempt];
      if (wait === undefined) {
        throw new ProviderError(
          "UNAVAILABLE",
          `jitbot could not ${op.action}: Entra still did not show ${op.created} ${TOTAL_SECONDS}s after jitbot created it (Entra replicates new objects with a delay); it will retry.`,
          { retryable: true, cause: error },
        );
      }
      await new Promise<void>((resolve) => clock.setTimer(resolve, wait));
    }
  }
}
