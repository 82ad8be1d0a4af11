/**
 * A small, honest micro-benchmark harness: warm up, then time batches of
 * calls and report the median per-operation cost, so one GC pause or
 * scheduler hiccup cannot move the figure. Async cases are awaited one by one.
 */
export interface BenchCase {
  /** What is measured, e.g. "field-level encrypt". Cases with the same group are compared. */
  group: string;
  /** Who does it, e.g. "pushprov", "mastercard-client-encryption", "raw RSA-2048". */
  name: string;
  fn: () => unknown;
}

export interface BenchResult {
  group: string;
  name: string;
  medianUs: number;
  p90Us: number;
  ops: number;
}

export async function measure(c: BenchCase, { batches = 30, minBatchMs = 20 } = {}): Promise<BenchResult> {
  const run = (n: number) => timeBatch(c, n);
  // Calibrate the batch size so each batch lasts long enough to time reliably.
  let perBatch = 1;
  for (;;) {
    const us = await run(perBatch);
    if (us * perBatch >= minBatchMs * 1000 || perBatch >= 1 << 16) break;
    perBatch *= 2;
  }
  await run(perBatch);
  const samples: number[] = [];
  for (let i = 0; i < batches; i++) samples.push(await run(perBatch));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return { group: c.group, name: c.name, medianUs: at(0.5), p90Us: at(0.9), ops: perBatch * batches };
}

/**
 * Measures several cases batch by batch in turn (A B C, A B C, …) and keeps
 * each case's median batch, so a load change on a shared machine moves every
 * case alike and the ratios between them stay honest.
 */
export async function measureInterleaved(
  cases: readonly BenchCase[],
  {
    rounds = 40,
    minBatchMs = 10,
    onRound,
  }: { rounds?: number; minBatchMs?: number; onRound?: (round: number) => void } = {},
): Promise<BenchResult[]> {
  const sizes: number[] = [];
  for (const c of cases) {
    let n = 1;
    while ((await timeBatch(c, n)) * n < minBatchMs * 1000 && n < 1 << 16) n *= 2;
    sizes.push(n);
  }
  const samples: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    onRound?.(round + 1);
    for (const [i, c] of cases.entries()) samples[i]?.push(await timeBatch(c, sizes[i] ?? 1));
  }
  return cases.map((c, i) => {
    const sorted = (samples[i] ?? []).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { group: c.group, name: c.name, medianUs: at(0.5), p90Us: at(0.9), ops: (sizes[i] ?? 1) * rounds };
  });
}

/** Mean microseconds per call over one batch of n calls. */
async function timeBatch(c: BenchCase, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = c.fn();
    if (r instanceof Promise) await r;
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

/** Prints one table: per group, each case's median and its ratio to the group's first case. */
export function printTable(
  results: readonly BenchResult[],
  reference?: (r: BenchResult) => number | undefined,
): void {
  const rows = results.map((r) => {
    const ref = reference?.(r);
    return [
      r.group,
      r.name,
      r.medianUs.toFixed(1),
      r.p90Us.toFixed(1),
      ref ? `${(r.medianUs / ref).toFixed(2)}×` : '',
    ];
  });
  const head = ['operation', 'implementation', 'median µs', 'p90 µs', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? lpad(c, widths[i] ?? 0) : pad(c, widths[i] ?? 0))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
