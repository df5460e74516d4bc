import type { Clock, TimerHandle } from "../domain/clock.js";

/**
 * Keeps one timer armed for the earliest due revocation, so access ends to the second rather
 * than at the next minute's sweep. The database stays the truth: a lost timer costs at most the
 * sweep interval.
 */
export class ExpiryTimer {
  private handle: TimerHandle | undefined;
  private armedFor: number | undefined;
  private running = false;
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly nextDueAt: () => Date | undefined,
    private readonly sweep: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Re-reads the earliest due time and re-arms if it moved. Cheap: one indexed MIN(). */
  rearm(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    const due = this.nextDueAt()?.getTime();
    if (due === this.armedFor && this.handle) return;
    this.handle?.cancel();
    this.handle = undefined;
    this.armedFor = due;
    if (due === undefined) return;
    this.handle = this.clock.setTimer(() => void this.fire(), Math.max(0, due - this.clock.now().getTime()));
  }

  private async fire(): Promise<void> {
    this.handle = undefined;
    this.armedFor = undefined;
    this.running = true;
    try {
      await this.sweep();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
      this.rerun = false;
      this.rearm();
    }
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }
}
