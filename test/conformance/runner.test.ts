import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, expectRefusal } from '../../src/cli/conformance/checks.js';
import { simulatorData } from '../../src/cli/conformance/data.js';
import { formatTable, runConformance } from '../../src/cli/conformance/runner.js';
import type { Scenario } from '../../src/cli/conformance/scenarios.js';
import type { ConformanceTarget } from '../../src/cli/conformance/target.js';
import { recipient } from '../fixtures/encryption/keys.js';
import { CONSUMER_KEY, signingKey } from '../fixtures/keys/index.js';
import { freePort } from '../support/process.js';

/** A target that answers every request with HTTP 200 and `{}`. */
let emptyAnswers: Server;
let emptyUrl: string;

beforeAll(async () => {
  emptyAnswers = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => emptyAnswers.listen(0, '127.0.0.1', resolve));
  emptyUrl = `http://127.0.0.1:${(emptyAnswers.address() as AddressInfo).port}/mdes`;
});
afterAll(async () => {
  await new Promise((resolve) => emptyAnswers.close(resolve));
});

const target = (baseUrl: string, extra: Partial<ConformanceTarget> = {}): ConformanceTarget => ({
  baseUrl,
  issuer: { consumerKey: CONSUMER_KEY, signingKey },
  encryptionKey: recipient.certificate,
  data: simulatorData(),
  timeoutMs: 2_000,
  ...extra,
});

const reasonOf = (summary: Awaited<ReturnType<typeof runConformance>>, n: number) =>
  summary.results.find((r) => r.number === n)?.reason;

describe('the runner reports what a wrong target does', () => {
  it('fails each scenario with what differed', async () => {
    const summary = await runConformance(target(emptyUrl), { only: [1, 5, 13, 18] });
    expect(summary.results.map((r) => r.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(summary.ok).toBe(false);
    expect(summary.counts.fail).toBe(4);
    expect(reasonOf(summary, 1)).toMatch(/^the answer does not match the spec at \/responseId/);
    expect(reasonOf(summary, 5)).toBe(
      'expected MISSING_REQUIRED_FIELD (requestId) with HTTP 400, got no reason code with HTTP 200',
    );
    expect(reasonOf(summary, 13)).toBe('expected image/svg+xml and image/png, got none');
    expect(reasonOf(summary, 18)).toMatch(/^the answer does not match the spec at \/responseId/);
  });

  it('fails when the target cannot be reached, naming the network error', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/mdes`;
    const summary = await runConformance(target(closed), { only: [1, 11] });
    expect(summary.counts.fail).toBe(2);
    expect(reasonOf(summary, 1)).toMatch(/^unexpected TOKEN_CONNECT_UNREACHABLE/);
    expect(reasonOf(summary, 11)).toMatch(/ECONNREFUSED/);
  });

  it('fails a scenario whose expectation the answer does not meet, and keeps going', async () => {
    const scenarios: Scenario[] = [
      {
        number: 1,
        operation: 'getEligibleTokenRequestors',
        source: 'spec',
        name: 'expects a refusal the target does not give',
        async run() {
          expectRefusal(
            {
              status: 400,
              reasonCode: 'INVALID_FIELD_LENGTH',
              description: 'Invalid Field Length - requestId',
            },
            {
              reasonCode: 'INVALID_FIELD_FORMAT',
              field: 'requestId',
            },
          );
        },
      },
      {
        number: 2,
        operation: 'getAsset',
        source: 'spec',
        name: 'throws something that is not a conformance failure',
        async run() {
          throw new TypeError('boom');
        },
      },
      {
        number: 3,
        operation: 'getAsset',
        source: 'spec',
        name: 'passes',
        async run() {
          check(true, 'never');
        },
      },
    ];
    const summary = await runConformance(target(emptyUrl), { scenarios });
    expect(summary.results.map((r) => [r.number, r.status, r.reason])).toEqual([
      [
        1,
        'fail',
        'expected INVALID_FIELD_FORMAT (requestId) with HTTP 400, got INVALID_FIELD_LENGTH (requestId) with HTTP 400',
      ],
      [2, 'fail', 'TypeError: boom'],
      [3, 'pass', undefined],
    ]);
  });

  it('skips what the target cannot offer and lists what could not be read, without failing', async () => {
    const summary = await runConformance(target(emptyUrl), { only: [16, 21, 23, 25, 37] });
    expect(summary.results.map((r) => [r.number, r.status])).toEqual([
      [16, 'not available'],
      [21, 'not available'],
      [23, 'skip'],
      [25, 'skip'],
      [37, 'skip'],
    ]);
    expect(reasonOf(summary, 25)).toMatch(/^needs a token requestor key/);
    expect(summary.ok).toBe(true);

    // With a token requestor but a clock it cannot move, only 23 is left out.
    const tokenRequestor = { consumerKey: 'tr', signingKey, tokenRequestorId: '50182375119' };
    const withKey = await runConformance(target(emptyUrl, { tokenRequestor }), { only: [23] });
    expect(withKey.results[0]).toMatchObject({
      status: 'skip',
      reason: expect.stringMatching(/^needs control of the target's clock/),
    });
  });

  it('refuses an unknown scenario number', async () => {
    await expect(runConformance(target(emptyUrl), { only: [99] })).rejects.toThrow(
      'no conformance scenario numbered 99',
    );
  });
});

describe('progress and table', () => {
  it('redraws one bar on a terminal, then clears it before the table', async () => {
    const written: string[] = [];
    await runConformance(target(emptyUrl), {
      only: [5, 16],
      output: { write: (t) => void written.push(t), isTTY: true },
    });
    const text = written.join('');
    expect(text).toContain('\r\x1b[2K[........................] 0/2  5 requestId missing');
    expect(text).toContain('\r\x1b[2K[############............] 1/2  16 page S4 and later');
    expect(text).not.toMatch(/^\[1\/2\]/m);
    expect(text).toContain('\r\x1b[2K\n #  operation');
  });

  it('writes a plain line per scenario elsewhere', async () => {
    const written: string[] = [];
    await runConformance(target(emptyUrl), { only: [5, 16], output: { write: (t) => void written.push(t) } });
    const text = written.join('');
    expect(text).not.toContain('\r');
    expect(text.split('\n').slice(0, 2)).toEqual([
      '[1/2] 5 requestId missing: MISSING_REQUIRED_FIELD: FAIL',
      '[2/2] 16 page S4 and later: N/A',
    ]);
  });

  it('aligns the columns and ends with the totals', () => {
    const table = formatTable({
      results: [
        { number: 1, operation: 'getAsset', name: 'a', status: 'pass', durationMs: 1 },
        {
          number: 23,
          operation: 'pushMultipleAccounts',
          name: 'bb',
          status: 'skip',
          reason: 'why',
          durationMs: 0,
        },
      ],
      counts: { pass: 1, fail: 0, skip: 1, 'not available': 0 },
      ok: true,
    });
    expect(table.split('\n')).toEqual([
      ' #  operation             scenario  status  detail',
      ' 1  getAsset              a         PASS',
      '23  pushMultipleAccounts  bb        SKIP    why',
      '',
      '2 scenarios: 1 passed, 0 failed, 1 skipped, 0 not available',
    ]);
  });
});
