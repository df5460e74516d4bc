import { type Clock, systemClock, type TimerHandle } from "../../src/domain/clock.js";

/**
 * Time for bot processes that cannot share a ManualClock: every replica computes the same virtual
 * time from one real epoch, running `speed` times faster, so a one-minute grant ends in seconds on
 * all of them alike. Only the multi-process tests use it; one process tests move a ManualClock.
 */
export class ScaledClock implements Clock {
  constructor(
    private readonly realEpochMs: number,
    private readonly virtualEpochMs: number,
    private readonly speed: number,
  ) {}

  static fromJson(text: string): ScaledClock {
    const { realEpochMs, virtualEpochMs, speed } = JSON.parse(text) as Record<string, number>;
    return new ScaledClock(Number(realEpochMs), Number(virtualEpochMs), Number(speed));
  }

  toJson(): string {
    return JSON.stringify({ realEpochMs: this.realEpochMs, virtualEpochMs: this.virtualEpochMs, speed: this.speed });
  }

  now(): Date {
    return new Date(this.virtualEpochMs + (Date.now() - this.realEpochMs) * this.speed);
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    return systemClock.setTimer(callback, Math.max(0, delayMs) / this.speed);
  }
}
