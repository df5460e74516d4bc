import type { GrantType } from "../../src/config/schema.js";
import type { Clock } from "../../src/domain/clock.js";
import type {
  ActiveGrant,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  RevokeOutcome,
} from "../../src/grants/provider.js";

/**
 * An in-process provider for engine-only scenarios: waits `latencyMs` like a cloud API would and
 * records when each call arrived (by the bot's clock), so lag and exactly-once can be checked.
 */
export class LatencyProvider implements GrantProvider {
  readonly grants: { requestId: string; at: number }[] = [];
  readonly revokes: { requestId: string; at: number }[] = [];
  readonly revokeCount = new Map<string, number>();

  constructor(
    readonly type: GrantType,
    private readonly latencyMs: number,
    private readonly clock: Clock,
  ) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    this.grants.push({ requestId: request.requestId, at: this.clock.now().getTime() });
    await this.wait();
    return {
      state: { bench: true },
      instructions: {
        summary: `Benchmark grant for ${request.subject.email}.`,
        sections: [{ heading: "Connect", code: "kubectl get pods" }],
        notes: [],
      },
    };
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    this.revokes.push({ requestId: grant.requestId, at: this.clock.now().getTime() });
    this.revokeCount.set(grant.requestId, (this.revokeCount.get(grant.requestId) ?? 0) + 1);
    await this.wait();
    return { detail: "benchmark revoke" };
  }

  /** Grants revoked more than once (must be zero). */
  duplicates(): number {
    return [...this.revokeCount.values()].filter((n) => n > 1).length;
  }

  private wait(): Promise<void> {
    return this.latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.latencyMs)) : Promise.resolve();
  }
}

/** Real time shifted by an offset the scenario may jump forward (the sweep-only simulation). */
export class ShiftedClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  jumpTo(at: number): void {
    this.offsetMs = Math.max(this.offsetMs, at - Date.now());
  }

  setTimer(callback: () => void, delayMs: number) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }
}
