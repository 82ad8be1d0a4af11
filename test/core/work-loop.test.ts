import { describe, expect, it } from 'vitest';
import { eachBounded, WorkLoop } from '../../src/core/jobs/loop.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('the work loop every background job runs in', () => {
  it('runs the step until nothing is due, then waits for a wake', async () => {
    const due = [3, 2, 0];
    let steps = 0;
    const loop = new WorkLoop({
      step: async () => {
        steps++;
        return due.shift() ?? 0;
      },
      pollMs: 60_000,
      onError: () => {},
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(steps).toBe(3);
    await loop.stop();
  });

  it('stop() resolves only once the step in progress has finished, and starts no other', async () => {
    const release = deferred();
    let steps = 0;
    let finished = false;
    const loop = new WorkLoop({
      step: async () => {
        steps++;
        await release.promise;
        finished = true;
        return 1; // more is due: only the stop ends the loop
      },
      pollMs: 60_000,
      onError: () => {},
    });
    loop.start();
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(finished).toBe(true);
    expect(steps).toBe(1);
  });
});

describe('eachBounded', () => {
  it('works on at most `limit` items at once, on all of them, and throws the first failure after all ran', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const work = eachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      if (n === 2) throw new Error('two');
      done.push(n);
    });
    await expect(work).rejects.toThrow('two');
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 3, 4, 5, 6, 7]);
  });
});
