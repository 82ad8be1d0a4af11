import { describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/process.js';

const OPS_KEY = 'ops-key-for-the-start-test-0123456789';

// Starting real processes (PGlite, key generation) is slow on a loaded machine.
describe('pushprov start', { timeout: 120_000 }, () => {
  it('brings up issuer, simulator and merchant on PGlite, ready, and stops cleanly on SIGTERM', async () => {
    const [issuer, simulator, merchant] = [await freePort(), await freePort(), await freePort()];
    const cli = runCli(['start', '--memory'], {
      PUSHPROV_ISSUER_PORT: String(issuer),
      PUSHPROV_SIMULATOR_PORT: String(simulator),
      PUSHPROV_MERCHANT_PORT: String(merchant),
      // The issuer's MDES listener too (start-mdes.test.ts tests it), on a free port.
      PUSHPROV_MDES_PORT: '0',
      PUSHPROV_OPS_API_KEYS: OPS_KEY,
    });
    await cli.waitFor('pushprov is up');
    expect(cli.stdout()).toContain(`Open http://localhost:${issuer}`);
    for (const port of [issuer, simulator, merchant]) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
    }
    // The figures are the operators': no ops key, no metrics.
    const anonymous = await fetch(`http://127.0.0.1:${issuer}/metrics`);
    expect(anonymous.status).toBe(401);
    const metrics = await (
      await fetch(`http://127.0.0.1:${issuer}/metrics`, { headers: { authorization: `Bearer ${OPS_KEY}` } })
    ).text();
    expect(metrics).toMatch(
      /pushprov_http_requests_total\{method="GET",route="\/readyz",status_code="200"\} 1/,
    );
    expect(metrics).toContain('pushprov_http_request_duration_seconds_bucket');
    const home = await fetch(`http://127.0.0.1:${issuer}/`);
    expect(await home.text()).toContain(`http://localhost:${merchant}/`);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('"msg":"shutting down"');
  });

  it('starts only the part asked for', async () => {
    const port = await freePort();
    const cli = runCli(['start', '--memory', '--only', 'simulator'], {
      PUSHPROV_SIMULATOR_PORT: String(port),
    });
    await cli.waitFor('pushprov is up (simulator;');
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('refuses a bad configuration with one named line and exit code 1, starting nothing', async () => {
    const port = await freePort();
    const cli = runCli(['start', '--memory'], {
      PUSHPROV_ISSUER_PORT: String(port),
      PUSHPROV_MERCHANT_PORT: 'abc',
    });
    expect(await cli.exited).toBe(1);
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toEqual([
      'pushprov: invalid configuration: PUSHPROV_MERCHANT_PORT="abc": expected a port number 0–65535',
    ]);
    expect(cli.stdout()).toBe('');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('rejects an unknown --only part', async () => {
    const cli = runCli(['start', '--only', 'everything']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('Allowed choices are issuer, simulator, merchant');
  });
});
