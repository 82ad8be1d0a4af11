import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PushprovError } from './errors.js';

/**
 * A claim on a file path by a process, held by a file holding its pid and
 * created only if absent; a claim left by a process that died (kill -9,
 * power loss) is taken over, as PostgreSQL does with its postmaster.pid.
 * Processes on one machine only: a pid means nothing on another host.
 */
export type Claim = { held: true; release: () => void } | { held: false; holder: number | undefined };

export function claim(path: string): Claim {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { held: true, release: () => releaseIfOurs(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(path);
    if (holder !== undefined && isAlive(holder)) return { held: false, holder };
    // Left by a process that is gone (or half-written by one being born: read
    // again before removing). Only the claim we read is removed, so two
    // processes taking over at once cannot both win.
    if (holder === undefined) continue;
    if (holderOf(path) === holder) unlinkQuietly(path);
  }
  return { held: false, holder: holderOf(path) };
}

/**
 * Runs `work` holding the claim on `path`, waiting while another live process
 * holds it: how several instances started together create shared files once.
 */
export async function withClaim<T>(path: string, work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = claim(path);
    if (attempt.held) {
      try {
        return await work();
      } finally {
        attempt.release();
      }
    }
    if (Date.now() > deadline) {
      throw new PushprovError(
        'STARTUP_LOCK_TIMEOUT',
        `waited ${Math.round(timeoutMs / 1000)} s for process ${attempt.holder ?? '(unknown)'} to release ${path}`,
      );
    }
    await sleep(100);
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(path: string): void {
  if (holderOf(path) === process.pid) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}
