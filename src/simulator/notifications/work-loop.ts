/**
 * Runs a unit of background work (Click to Pay enrolments, notification
 * deliveries) whenever it is woken and on a slow poll, one run at a time. A
 * wake during a run asks for one more run, so nothing recorded meanwhile
 * waits for the next poll. The work itself lives in the database, so the
 * loop holds no state worth keeping: stopping it loses nothing.
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

  /** Stops polling and waits for the run in progress, so the database can close after it. */
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
