import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => res(port));
    });
  });
}

export interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves when stdout contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

// One data directory (and so one development key set) for every CLI run of a test file; by
// the file's path, since a worker runs several files on one copy of this module (isolate: false).
const dataDirs = new Map<string, string>();
const dataDirOfThisFile = (): string => {
  const file = expect.getState().testPath ?? '';
  const dir = dataDirs.get(file) ?? mkdtempSync(join(tmpdir(), 'pushprov-cli-'));
  dataDirs.set(file, dir);
  return dir;
};

/**
 * Runs `pushprov …` (the real CLI, as a child process) with an environment of
 * the test's choosing: the built bin, as `npm start` runs it (the global set-up
 * brings dist/ up to date; it starts in a fraction of tsx's time and CPU).
 */
export function runCli(args: string[], env: Record<string, string> = {}): Cli {
  // Node itself, not a wrapper, so signals reach pushprov directly.
  const entry = ['bin/pushprov.js'];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PUSHPROV_LOG_FORMAT: 'json',
      PUSHPROV_DATA_DIR: dataDirOfThisFile(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (text, timeoutMs = 100_000) =>
      new Promise((res, rej) => {
        const started = Date.now();
        const tick = () => {
          if (typeof text === 'string' ? out.includes(text) : text.test(out)) return res();
          if (child.exitCode !== null) return rej(new Error(`exited ${child.exitCode}: ${err}`));
          if (Date.now() - started > timeoutMs)
            return rej(new Error(`timed out waiting for ${text}: ${out}${err}`));
          setTimeout(tick, 50);
        };
        tick();
      }),
  };
}
