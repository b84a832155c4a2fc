/**
 * Runs the probes at most `limit` at a time, in plan order, skipping over those that may not start
 * yet (agent/src/path-gate.ts) until poked. The agent deadline needs to know which never started,
 * so the queue can be stopped and hands those back.
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
    /** False: leave the item waiting and start a later one; poke() once that may have changed. */
    private readonly mayStart: (item: T) => boolean = () => true,
  ) {
    this.waiting = items.slice();
  }

  start(): void {
    this.pump();
  }

  /** Something a waiting item depends on changed: start what may start now. */
  poke(): void {
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
    while (!this.stopped && this.running < this.limit) {
      const index = this.waiting.findIndex((item) => this.mayStart(item));
      if (index === -1) break;
      const item = this.waiting.splice(index, 1)[0] as T;
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
