/**
 * Runs the probes at most `limit` at a time, in plan order. The agent deadline needs to know which
 * never started, so the queue can be stopped and hands those back.
 */
export class Queue<T> {
  private readonly waiting: T[];
  private running = 0;
  private stopped = false;

  constructor(
    items: readonly T[],
    private readonly limit: number,
    /** Must settle (resolve or reject) for the queue to move on. */
    private readonly run: (item: T) => Promise<void>,
    /** Called once every item has run, unless stopped first. */
    private readonly onDrained: () => void,
  ) {
    this.waiting = items.slice();
  }

  start(): void {
    this.pump();
  }

  /**
   * Adds an item behind those still waiting (a stalled transfer's retry). Call it from `run`, before
   * the running item's promise settles, so the queue has not drained yet.
   */
  add(item: T): void {
    if (!this.stopped) this.waiting.push(item);
  }

  /** Starts nothing more; returns the items that never started. */
  stop(): T[] {
    this.stopped = true;
    return this.waiting.splice(0, this.waiting.length);
  }

  private pump(): void {
    while (!this.stopped && this.running < this.limit && this.waiting.length > 0) {
      const item = this.waiting.shift() as T;
      this.running++;
      const next = (): void => {
        this.running--;
        this.pump();
      };
      this.run(item).then(next, next);
    }
    if (!this.stopped && this.running === 0 && this.waiting.length === 0) {
      this.stopped = true;
      this.onDrained();
    }
  }
}
