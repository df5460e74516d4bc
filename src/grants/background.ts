import type { Logger } from "../service/ports.js";

/**
 * Work that outlives the Slack ack (grants, revocations, notifications): counted so shutdown and
 * tests can wait for it, and refused once draining has begun.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();
  private draining = false;

  constructor(private readonly logger: Logger) {}

  get accepting(): boolean {
    return !this.draining;
  }

  /** Fire and forget: a failure is logged, never thrown into whoever started it. */
  track<T>(work: Promise<T>): void {
    const tracked = work
      .catch((error: unknown) => {
        this.logger.error({ err: error instanceof Error ? error.message : String(error) }, "background work failed");
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Like track(), but hands the caller the outcome (errors included). */
  during<T>(work: Promise<T>): Promise<T> {
    const tracked: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    // `tracked` never rejects; forgetting it only has to happen once it settled.
    void tracked.finally(() => this.running.delete(tracked));
    return work;
  }

  /** Resolves once nothing is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** SIGTERM: take no new work, let what is running finish (bounded by `timeoutMs`). */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
  }
}
