import type { Clock, TimerHandle } from "../../domain/clock.js";

/**
 * The longest a read-back waits for other revokes of the same scope to join its call. It only waits
 * while such revokes are under way (`expect`): a lone revoke is read back at once.
 */
export const COALESCE_WINDOW_MS = 25;
/**
 * The window of a busy scope (a mass expiry) or a throttling provider. Every call then takes a
 * removal's place in the provider's budget, and more revokes are always about to start (the
 * sweep's next ones), so a batch waits out this window or until it is full, not until the revokes
 * under way have joined. Waiting costs no removal its slot (the revoker frees the slot once the
 * removal is sent): it only delays the proof, by at most this.
 */
export const PATIENT_WINDOW_MS = 2_000;
/**
 * Revokes of one scope started within the last second that make it busy: at this rate a patient
 * batch gathers ~40 in its window, about what one Graph call holds (member-reads.ts).
 */
export const BUSY_REVOKES_PER_SECOND = 20;

/** How long a batch stays open, and whether it goes early once no revoke of its scope is under way. */
export interface Patience {
  windowMs: number;
  untilQuiet: boolean;
}

/** The usual: the short window, and early once nobody is about to join. */
export const EAGER: Patience = { windowMs: COALESCE_WINDOW_MS, untilQuiet: true };
/** Busy or throttled: the long window, or a full call. */
export const PATIENT: Patience = { windowMs: PATIENT_WINDOW_MS, untilQuiet: false };

/**
 * A revoke that announced a read-back and never sent one (a crash seam, a roll-back, a read-back
 * that gave up) stops being waited for after this; it only ever costs other reads the window.
 */
const EXPECTATION_STALE_MS = 10_000;

export interface CoalescedRead<T> {
  /** Whether these items still fit in one call (Graph's value and URL limits). */
  fits(scope: string, items: readonly T[]): boolean;
  /** One call for all of them; answers the items it found. */
  read(scope: string, items: readonly T[]): Promise<ReadonlySet<T>>;
}

interface Waiter<T> {
  item: T;
  key?: string;
  resolve(found: boolean): void;
  reject(error: unknown): void;
}

interface Batch<T> {
  waiters: Waiter<T>[];
  patience: Patience;
  timer?: TimerHandle;
}

/**
 * Reads that ask "is this item still there?" for many items of one scope (a group), answered by
 * one call. A read joins the open batch of its scope; the batch is sent when it is full, when no
 * revoke of that scope is still under way (so nobody else is about to join; not while the scope is
 * busy or the provider throttles), or when the window ends. Each read still gets its own answer, and a failed call fails every read in it the same
 * way (a 429 is waited out by each, and they meet again in the next batch).
 *
 * Several replicas each coalesce their own revokes; nothing is shared between them.
 */
export class ReadCoalescer<T> {
  private readonly open = new Map<string, Batch<T>>();
  private readonly expected = new Map<string, Map<string, number>>();
  /** When each revoke of the last second began, per scope (how busy the scope is). */
  private readonly starts = new Map<string, number[]>();

  constructor(
    private readonly calls: CoalescedRead<T>,
    private readonly clock: Clock,
    /**
     * Read when a batch opens, from the revokes of its scope begun within the last second; it may
     * follow the provider's state too (member-reads.ts).
     */
    private readonly patience: (startsLastSecond: number) => Patience = () => EAGER,
  ) {}

  /** A revoke in `scope` is under way and its read-back will follow: reads wait for it, within the window. */
  expect(scope: string, key: string): void {
    let keys = this.expected.get(scope);
    if (!keys) {
      keys = new Map();
      this.expected.set(scope, keys);
    }
    const now = this.clock.now().getTime();
    keys.set(key, now);
    // Pruned here too: revokes that all fail (forget, never ask) open no batch that would prune.
    this.startsLastSecond(scope);
    const starts = this.starts.get(scope) ?? [];
    starts.push(now);
    this.starts.set(scope, starts);
  }

  private startsLastSecond(scope: string): number {
    const starts = this.starts.get(scope);
    if (!starts) return 0;
    const since = this.clock.now().getTime() - 1_000;
    const first = starts.findIndex((at) => at > since);
    if (first === -1) {
      this.starts.delete(scope);
      return 0;
    }
    starts.splice(0, first);
    return starts.length;
  }

  /** The revoke ended without a read-back (it failed): nobody waits for it any longer. */
  forget(scope: string, key: string): void {
    if (!this.expected.get(scope)?.delete(key)) return;
    if (this.open.get(scope)?.patience.untilQuiet && this.underWay(scope) === 0) this.flush(scope);
  }

  /** Whether `item` is still there, read together with whatever else is asked in `scope` meanwhile. */
  ask(scope: string, item: T, key?: string): Promise<boolean> {
    if (key !== undefined) this.expected.get(scope)?.delete(key);
    return new Promise<boolean>((resolve, reject) => {
      let batch = this.open.get(scope);
      if (batch && !this.calls.fits(scope, [...batch.waiters.map((w) => w.item), item])) {
        this.flush(scope);
        batch = undefined;
      }
      if (!batch) {
        batch = { waiters: [], patience: this.patience(this.startsLastSecond(scope)) };
        this.open.set(scope, batch);
      }
      batch.waiters.push({ item, key, resolve, reject });
      const items = batch.waiters.map((w) => w.item);
      // Items of one kind have one length: when a copy of this one would not fit, nothing more will.
      const full = !this.calls.fits(scope, [...items, item]);
      if (full || (batch.patience.untilQuiet && this.underWay(scope) === 0)) this.flush(scope);
      else batch.timer ??= this.clock.setTimer(() => this.flush(scope), batch.patience.windowMs);
    });
  }

  private underWay(scope: string): number {
    const keys = this.expected.get(scope);
    if (!keys) return 0;
    const staleBefore = this.clock.now().getTime() - EXPECTATION_STALE_MS;
    for (const [key, since] of keys) if (since < staleBefore) keys.delete(key);
    if (keys.size === 0) this.expected.delete(scope);
    return keys.size;
  }

  private flush(scope: string): void {
    const batch = this.open.get(scope);
    if (!batch) return;
    this.open.delete(scope);
    batch.timer?.cancel();
    const items = [...new Set(batch.waiters.map((w) => w.item))];
    // A read that did not find the item gone (still shown, or the call failed) is usually read
    // again after the same wait as the others of its batch: they should meet in one call again.
    const again = (w: Waiter<T>) => {
      if (w.key !== undefined) this.expect(scope, w.key);
    };
    this.calls.read(scope, items).then(
      (found) => {
        for (const w of batch.waiters) {
          if (found.has(w.item)) again(w);
          w.resolve(found.has(w.item));
        }
      },
      (error: unknown) => {
        for (const w of batch.waiters) {
          again(w);
          w.reject(error);
        }
      },
    );
  }
}
