import type { Profile } from "../config/schema.js";
import type { Clock } from "../domain/clock.js";
import { describeFailure, newCorrelationId } from "../domain/messages.js";
import type { AccessRequest, GrantRecord } from "../domain/request.js";
import type { Metrics } from "../metrics.js";
import type { Logger } from "../service/ports.js";
import { isProviderError } from "./errors.js";
import type { ActiveGrant } from "./provider.js";

/**
 * How the engine calls providers: timed for the metrics, paused per provider while it asked us
 * to back off (Retry-After), and failures turned into one safe sentence with a correlation id.
 */
export class ProviderCalls {
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
  ) {}

  async timed<T>(provider: string, verb: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = "error";
    try {
      const result = await call();
      outcome = "ok";
      return result;
    } finally {
      this.metrics?.providerCalls.observe({ provider, verb, outcome }, (performance.now() - started) / 1000);
    }
  }

  /** Every later call to `provider` waits until `until` (ms): one 429 slows all workers, not one. */
  pause(provider: string, until: number): void {
    this.pausedUntil.set(provider, Math.max(this.pausedUntil.get(provider) ?? 0, until));
  }

  async waitFor(provider: string): Promise<void> {
    const until = this.pausedUntil.get(provider);
    const wait = until === undefined ? 0 : until - this.clock.now().getTime();
    if (wait > 0) await new Promise<void>((resolve) => this.clock.setTimer(resolve, wait));
  }

  /** Logs the failure with a correlation id and returns the sentence a person may read. */
  explain(error: unknown, context: { requestId: string; verb: string }): string {
    const correlationId = newCorrelationId();
    const message = describeFailure(error, correlationId);
    this.logger.warn(
      {
        ...context,
        correlationId,
        code: isProviderError(error) ? error.code : undefined,
        err: error instanceof Error ? error.message : String(error),
        // A composite's sentence names the part; what the part itself threw is kept for the operator.
        cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
      },
      `${context.verb} failed`,
    );
    return message;
  }
}

export function activeGrantOf(grant: GrantRecord, request: AccessRequest, profile: Profile): ActiveGrant {
  return {
    requestId: grant.requestId,
    profile,
    subject: subjectOf(request),
    expiresAt: grant.expiresAt,
    state: grant.state,
    providerExpiresAt: grant.providerExpiresAt,
  };
}

export function subjectOf(request: AccessRequest) {
  return { slackUserId: request.requesterId, email: request.requesterEmail ?? "", name: request.requesterName };
}
