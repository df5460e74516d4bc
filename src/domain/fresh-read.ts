/**
 * One read shared by everyone who asks while it would start anyway: a caller gets the answer of a
 * read that began after its call, never an older one, yet a burst of callers costs at most two
 * reads (the one in flight, whose start predates them, and one more after it for all of them).
 * A mass expiry asks the same question (who has App Home open) once per ended grant, sixteen at a
 * time per replica; each still sees the table as it was after its own change committed.
 */
export class FreshRead<T> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.running) {
      const run = this.read().finally(() => {
        if (this.running === run) this.running = undefined;
      });
      this.running = run;
      return run;
    }
    // A read in flight may have begun before this call: wait for it, then share the one after it.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.get();
      });
    return this.next;
  }
}
