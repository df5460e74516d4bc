import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import type { Clock } from "../../domain/clock.js";

/**
 * How long after Graph last throttled this client it still counts as throttling. Graph's
 * Retry-After is usually a few seconds (throttling.md: "wait the number of seconds specified in
 * the Retry-After header"); a mass expiry that met one 429 meets the next within this.
 */
export const THROTTLED_FOR_MS = 10_000;

/**
 * When Graph last answered this process 429 (throttling.md) — each attempt, including those the
 * SDK's retry handler waits out and sends again, which the callers never see. The read-backs of a
 * mass expiry use it to spend fewer calls while every call is scarce (member-reads.ts).
 */
export class ThrottleWatch {
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  seen(): void {
    this.lastAt = this.clock.now().getTime();
  }

  /** Whether Graph throttled within THROTTLED_FOR_MS. */
  throttled(): boolean {
    return this.clock.now().getTime() - this.lastAt < THROTTLED_FOR_MS;
  }
}

/** A Graph SDK middleware that tells `watch` of every 429 that passes it, and changes nothing. */
export class ThrottleWatchHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly watch: ThrottleWatch) {}

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error("ThrottleWatchHandler is not the last middleware; it needs a next one");
    await this.next.execute(context);
    if (context.response?.status === 429) this.watch.seen();
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
