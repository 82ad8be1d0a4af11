/**
 * `npm run bench:start`: how long `pushprov start` takes to be ready and how
 * much memory it holds once ready, compiled JavaScript (what `npm start` runs)
 * beside the sources through tsx (`npm run dev`), started in turn on one warm
 * PGlite data directory so both meet the same machine load.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_START_RUNS ?? 5);

interface Variant {
  name: string;
  args: string[];
}
const VARIANTS: Variant[] = [
  { name: 'compiled (dist/)', args: ['bin/pushprov.js', 'start'] },
  { name: 'tsx (src/)', args: ['--import', 'tsx', 'src/cli.ts', 'start'] },
];

/** Milliseconds until "pushprov is up" and the resident set size then, in MB. */
async function startOnce(variant: Variant, dataDir: string): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, variant.args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PUSHPROV_DATA_DIR: dataDir,
      PUSHPROV_LOG_FORMAT: 'json',
      PUSHPROV_ISSUER_PORT: '0',
      PUSHPROV_SIMULATOR_PORT: '0',
      PUSHPROV_MERCHANT_PORT: '0',
      PUSHPROV_MDES_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const readyMs = await new Promise<number>((ready, fail) => {
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('pushprov is up')) ready(performance.now() - started);
    });
    child.on('exit', (code) => fail(new Error(`${variant.name} exited ${code} before it was up`)));
  });
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
  return { readyMs, rssMb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function runStartBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-bench-start-'));
  try {
    // The first start generates keys, runs initdb and migrates: not what is compared.
    await startOnce(VARIANTS[0]!, dataDir);
    const samples = VARIANTS.map(() => ({ readyMs: [] as number[], rssMb: [] as number[] }));
    for (let run = 0; run < RUNS; run++) {
      for (const [i, variant] of VARIANTS.entries()) {
        const { readyMs, rssMb } = await startOnce(variant, dataDir);
        samples[i]!.readyMs.push(readyMs);
        samples[i]!.rssMb.push(rssMb);
      }
    }
    console.log(`pushprov start, all parts on PGlite, warm, median of ${RUNS} starts each (interleaved)`);
    for (const [i, variant] of VARIANTS.entries()) {
      const s = samples[i]!;
      console.log(
        `  ${variant.name.padEnd(18)} ready in ${median(s.readyMs).toFixed(0).padStart(6)} ms   RSS ${median(s.rssMb).toFixed(0).padStart(4)} MB`,
      );
    }
    const [compiled, tsx] = samples;
    console.log(
      `  compiled / tsx: ready ${(median(compiled!.readyMs) / median(tsx!.readyMs)).toFixed(2)}×, RSS ${(median(compiled!.rssMb) / median(tsx!.rssMb)).toFixed(2)}×  (target: ready < 3000 ms, issuer RSS < 250 MB on PostgreSQL)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runStartBench();
}
