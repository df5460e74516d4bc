import type { Clock, TimerHandle } from "../domain/clock.js";

/** After a sweep threw, wait this long before the timer tries again (the minute cron still runs). */
const AFTER_ERROR_MS = 5_000;
/** A grant a sweep left due (in flight elsewhere, or draining) is looked at again this much later. */
const LEFT_DUE_MS = 1_000;

/**
 * Keeps one timer armed for the earliest due revocation, so access ends to the second rather
 * than at the next minute's sweep. The database stays the truth: a lost timer costs at most the
 * sweep interval.
 */
export class ExpiryTimer {
  private handle: TimerHandle | undefined;
  private armedFor: number | undefined;
  private running = false;
  private stopped = false;
  /** Holds back grants due by `dueBy` until `notBefore`, so an unfinished sweep cannot spin. */
  private holdBack: { dueBy: number; notBefore: number } | undefined;
  /** Counts re-reads: only the latest one may arm, so an older answer arriving late cannot. */
  private reads = 0;
  /** The re-read in flight, and the one that follows it for every call made meanwhile. */
  private reading: Promise<void> | undefined;
  private readAgain: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly nextDueAt: () => Promise<Date | undefined>,
    private readonly sweep: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Re-reads the earliest due time and re-arms if it moved. Cheap: one indexed MIN(). Never
   * rejects: a failed read goes to onError and leaves the armed timer (and the minute sweep) as is.
   */
  rearm(): Promise<void> {
    // While a sweep runs, its end re-arms (it reads the store afresh then).
    if (this.stopped || this.running) return Promise.resolve();
    if (!this.reading) {
      const reading = this.reread().finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
      this.reading = reading;
      return reading;
    }
    // Every replica's every change lands here (LISTEN/NOTIFY): during a mass expiry that is hundreds
    // a second. A read in flight may predate this call, so one more read follows it, shared by
    // every call made meanwhile: at most two reads, and the last always starts after the last call.
    this.readAgain ??= this.reading.then(() => {
      this.readAgain = undefined;
      return this.rearm();
    });
    return this.readAgain;
  }

  private async reread(): Promise<void> {
    const read = ++this.reads;
    let next: Date | undefined;
    try {
      next = await this.nextDueAt();
    } catch (error) {
      this.onError(error);
      return;
    }
    // Stopped, a sweep started, or a later re-read is on its way (its answer is the fresher one).
    if (this.stopped || this.running || read !== this.reads) return;
    const earliest = next?.getTime();
    const held = this.holdBack && earliest !== undefined && earliest <= this.holdBack.dueBy;
    const due = held && this.holdBack ? Math.max(earliest ?? 0, this.holdBack.notBefore) : earliest;
    if (due === this.armedFor && this.handle) return;
    this.handle?.cancel();
    this.handle = undefined;
    this.armedFor = due;
    if (due === undefined) return;
    // fire() catches what the sweep throws and rearm() never rejects: nothing here can go unhandled.
    this.handle = this.clock.setTimer(() => void this.fire(), Math.max(0, due - this.clock.now().getTime()));
  }

  private async fire(): Promise<void> {
    this.handle = undefined;
    this.armedFor = undefined;
    this.running = true;
    const startedAt = this.clock.now().getTime();
    try {
      await this.sweep();
      this.holdBack = { dueBy: startedAt, notBefore: this.clock.now().getTime() + LEFT_DUE_MS };
    } catch (error) {
      this.holdBack = { dueBy: Number.POSITIVE_INFINITY, notBefore: this.clock.now().getTime() + AFTER_ERROR_MS };
      this.onError(error);
    } finally {
      this.running = false;
      await this.rearm();
    }
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }
}
