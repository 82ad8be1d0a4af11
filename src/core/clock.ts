/**
 * Every expiry in pushprov is checked against an injected clock so tests can
 * move time instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  set(to: Date): void {
    this.#ms = to.getTime();
  }
}

export const epochSeconds = (clock: Clock): number => Math.floor(clock.now().getTime() / 1000);
