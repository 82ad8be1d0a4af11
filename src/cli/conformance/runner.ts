import { TokenConnectError } from '../../mastercard/token-connect/errors.js';
import { ConformanceFailure } from './checks.js';
import { ScenarioContext } from './context.js';
import { type Capability, SCENARIOS, type Scenario } from './scenarios.js';
import type { ConformanceTarget } from './target.js';

type ScenarioStatus = 'pass' | 'fail' | 'skip' | 'not available';

interface ScenarioResult {
  number: number;
  operation: Scenario['operation'];
  name: string;
  status: ScenarioStatus;
  /** Why it failed, was skipped or is not available. */
  reason?: string;
  durationMs: number;
}

export interface ConformanceSummary {
  results: ScenarioResult[];
  counts: Record<ScenarioStatus, number>;
  /** No scenario failed. */
  ok: boolean;
}

/** Where progress and the final table go: a terminal gets a bar redrawn in place, anything else plain lines. */
interface ConformanceOutput {
  write(text: string): void;
  isTTY?: boolean;
}

export interface RunOptions {
  /** Scenario numbers to run; default all. */
  only?: readonly number[];
  /** Default SCENARIOS (doc §7). */
  scenarios?: readonly Scenario[];
  output?: ConformanceOutput;
}

const NOT_AVAILABLE = "cut off in pushprov's copy of Mastercard's testing page (doc §7)";

const MISSING: Record<Capability, string> = {
  tokenRequestor:
    "needs a token requestor key (simulator only: Mastercard's sandbox has no tokenize for an issuer)",
  clock: "needs control of the target's clock (the in-process simulator of the tests)",
  tokenRequestorPages:
    "needs token requestor pages to click through (the simulator's; Mastercard's sandbox has people's)",
  pushSigningKey:
    "needs MDES's push-signing key: a token requestor key to download it as an asset, or --signing-key FILE",
  issuerToken:
    'needs a token of the issuer at the target: customerService.tokenUniqueReference in --data, or a token requestor key to make one',
};

/** Runs the scenarios one after the other against the target and reports each. */
export async function runConformance(
  target: ConformanceTarget,
  options: RunOptions = {},
): Promise<ConformanceSummary> {
  const all = options.scenarios ?? SCENARIOS;
  const chosen = options.only ? all.filter((s) => options.only?.includes(s.number)) : all;
  const unknown = (options.only ?? []).filter((n) => !all.some((s) => s.number === n));
  if (unknown.length > 0) throw new RangeError(`no conformance scenario numbered ${unknown.join(', ')}`);
  const ctx = new ScenarioContext(target);
  const progress = new Progress(options.output, chosen.length);
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    progress.starting(results.length, scenario);
    const result = await runOne(scenario, target, ctx);
    results.push(result);
    progress.finished(results.length, result);
  }
  progress.done();
  const counts: Record<ScenarioStatus, number> = { pass: 0, fail: 0, skip: 0, 'not available': 0 };
  for (const r of results) counts[r.status]++;
  const summary = { results, counts, ok: counts.fail === 0 };
  options.output?.write(`\n${formatTable(summary)}\n`);
  return summary;
}

async function runOne(
  scenario: Scenario,
  target: ConformanceTarget,
  ctx: ScenarioContext,
): Promise<ScenarioResult> {
  const { number, operation, name } = scenario;
  const result = (status: ScenarioStatus, reason?: string, durationMs = 0): ScenarioResult => ({
    number,
    operation,
    name,
    status,
    ...(reason === undefined ? {} : { reason }),
    durationMs,
  });
  if (!scenario.run) return result('not available', NOT_AVAILABLE);
  const has: Record<Capability, boolean> = {
    tokenRequestor: target.tokenRequestor !== undefined,
    clock: target.advanceClock !== undefined,
    tokenRequestorPages: target.tokenRequestorPages === true,
    // Only a token requestor may download the key asset (Digital Enablement's getAsset); an issuer needs it as a file.
    pushSigningKey:
      target.tokenRequestor !== undefined ||
      (target.mdesSigningKey !== undefined && 'publicKey' in target.mdesSigningKey),
    issuerToken: target.tokenRequestor !== undefined || target.data.customerService !== undefined,
  };
  const missing = (scenario.needs ?? []).find((need) => !has[need]);
  if (missing) return result('skip', MISSING[missing]);
  const started = performance.now();
  try {
    await scenario.run(ctx);
    return result('pass', undefined, Math.round(performance.now() - started));
  } catch (error) {
    return result('fail', failureReason(error), Math.round(performance.now() - started));
  }
}

/**
 * One line on what went wrong. ConformanceFailure and pushprov's own errors
 * are written to be safe to show; anything else shows its code or class,
 * and its cause's code (a refused connection, a timeout).
 */
function failureReason(error: unknown): string {
  if (error instanceof ConformanceFailure) return error.message;
  if (error instanceof TokenConnectError) return `unexpected ${error.code}: ${error.message}`;
  if (!(error instanceof Error)) return 'failed with a non-error value';
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  const base = `${error.name}: ${error.message}`;
  return typeof cause === 'string' ? `${base} (${cause})` : base;
}

const BAR_WIDTH = 24;

class Progress {
  constructor(
    private readonly output: ConformanceOutput | undefined,
    private readonly total: number,
  ) {}

  starting(done: number, scenario: Scenario): void {
    if (!this.output?.isTTY) return;
    const filled = Math.round((done / this.total) * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    this.output.write(`\r\x1b[2K${bar} ${done}/${this.total}  ${scenario.number} ${scenario.name}`);
  }

  finished(done: number, result: ScenarioResult): void {
    if (!this.output || this.output.isTTY) return;
    const label = STATUS_LABEL[result.status];
    this.output.write(`[${done}/${this.total}] ${result.number} ${result.name}: ${label}\n`);
  }

  done(): void {
    if (this.output?.isTTY) this.output.write('\r\x1b[2K');
  }
}

const STATUS_LABEL: Record<ScenarioStatus, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  skip: 'SKIP',
  'not available': 'N/A',
};

/** The results as a text table, then one line of totals. */
export function formatTable(summary: ConformanceSummary): string {
  const rows = summary.results.map((r) => [
    String(r.number),
    r.operation,
    r.name,
    STATUS_LABEL[r.status],
    r.reason ?? '',
  ]);
  const header = ['#', 'operation', 'scenario', 'status', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padStart(widths[i]!) : i === cells.length - 1 ? cell : cell.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  const { pass, fail, skip } = summary.counts;
  const totals =
    `${summary.results.length} scenarios: ${pass} passed, ${fail} failed, ${skip} skipped, ` +
    `${summary.counts['not available']} not available`;
  return [line(header), ...rows.map(line), '', totals].join('\n');
}
