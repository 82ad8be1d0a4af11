import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cli, freePort, runCli } from '../support/process.js';

/**
 * `pushprov conformance` as a user runs it: against a simulator started with
 * `pushprov start --only simulator` on the same development keys, and
 * against a target that answers wrongly.
 */
let simulator: Cli;
let simulatorUrl: string;
let wrong: Server;
let wrongUrl: string;

beforeAll(async () => {
  const keys = runCli(['keys', 'generate']);
  expect(await keys.exited).toBe(0);
  const port = await freePort();
  simulator = runCli(['start', '--memory', '--only', 'simulator'], { PUSHPROV_SIMULATOR_PORT: String(port) });
  await simulator.waitFor('pushprov is up', 60_000);
  simulatorUrl = `http://127.0.0.1:${port}`;

  wrong = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => wrong.listen(0, '127.0.0.1', resolve));
  wrongUrl = `http://127.0.0.1:${(wrong.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  simulator.child.kill('SIGTERM');
  await simulator.exited;
  await new Promise((resolve) => wrong.close(resolve));
});

describe('pushprov conformance', () => {
  it('runs every scenario against a running simulator, prints the table and exits 0', async () => {
    const cli = runCli(['conformance', '--target', simulatorUrl]);
    expect(await cli.exited, cli.stderr()).toBe(0);
    const out = cli.stdout();
    expect(out).toContain(
      `Token Connect conformance against ${simulatorUrl}/mdes (with a token requestor key)`,
    );
    expect(out).toMatch(/^ # {2}operation +scenario +status {2}detail$/m);
    expect(out).toMatch(/^19 {2}pushMultipleAccounts .* PASS$/m);
    // A separate process cannot move the simulator's clock: the validity scenario is skipped.
    expect(out).toMatch(/^23 {2}pushMultipleAccounts .* SKIP {4}needs control of the target's clock/m);
    expect(out).toMatch(/^42 {2}pushMultipleAccounts .* PASS$/m);
    expect(out).toContain('49 scenarios: 46 passed, 0 failed, 1 skipped, 2 not available');
  }, 90_000);

  it('exits 1 when the target answers wrongly, saying what differed', async () => {
    const cli = runCli(['conformance', '--target', wrongUrl, '--only', '5,16']);
    expect(await cli.exited).toBe(1);
    const out = cli.stdout();
    expect(out).toMatch(
      /^ 5 {2}getEligibleTokenRequestors .* FAIL {4}expected MISSING_REQUIRED_FIELD \(requestId\) with HTTP 400, got no reason code with HTTP 200$/m,
    );
    expect(out).toContain('2 scenarios: 0 passed, 1 failed, 0 skipped, 1 not available');
  }, 60_000);

  it('refuses an unknown scenario number before running anything', async () => {
    const cli = runCli(['conformance', '--target', wrongUrl, '--only', '18,99']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('no scenario numbered "99" (1–49)');
    expect(cli.stdout()).toBe('');
  }, 60_000);
});
