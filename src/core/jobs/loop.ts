/**
 * Runs one background job of an instance (reconciliation, receipt expiry,
 * notification deliveries, enrolments, purges, sealing) whenever it is
 * woken and on a slow poll, one run at a time. A run repeats the step until
 * it reports nothing handled, so a backlog is worked off at once rather than
 * a batch per poll; a wake during a run asks for one more run, so nothing
 * recorded meanwhile waits for the next poll. The work itself lives in the
 * database and is claimed row by row with a lease (./lease.ts), so the loop
 * holds no state worth keeping: stopping it loses nothing, and another
 * instance takes over what a dead one had claimed.
 */
export interface WorkLoopOptions {
  /** Handles what is due; resolves how many items it handled (0: nothing was due). */
  step: () => Promise<number>;
  /** How often to look for due work without being woken. */
  pollMs: number;
  onError: (error: unknown) => void;
}

export class WorkLoop {
  readonly #options: WorkLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(options: WorkLoopOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#timer = setInterval(() => this.wake(), this.#options.pollMs);
    this.#timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
  }

  /**
   * Stops polling and waits for the step in progress (its claimed rows
   * settled), so the database can close after it; no new step starts.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      try {
        while (!this.#stopped && (await this.#options.step()) > 0);
      } catch (error) {
        this.#options.onError(error);
      }
    } while (this.#again && !this.#stopped);
  }
}

/**
 * Calls `work` on each item, at most `limit` at a time; resolves once all
 * are done, then throws the first failure, if any, so that one bad item
 * neither stops the others nor leaves them running after the caller returns.
 */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length > 0) throw failures[0];
}
