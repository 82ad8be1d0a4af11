import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { problemsOf } from '../support/config-problems.js';

describe('configuration', () => {
  it('has working defaults: three ports, embedded database, the simulator', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      issuerPort: 8080,
      simulatorPort: 8081,
      merchantPort: 8082,
      host: '127.0.0.1',
      dataDir: '.pushprov',
      databaseUrl: undefined,
      mastercardEnv: 'simulator',
      issuerPublicUrl: 'http://localhost:8080',
    });
  });

  it('derives public URLs from the chosen ports unless set', () => {
    expect(loadConfig({ PUSHPROV_ISSUER_PORT: '9000' }).issuerPublicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ PUSHPROV_ISSUER_URL: 'https://bank.example/' }).issuerPublicUrl).toBe(
      'https://bank.example',
    );
  });

  it('reads rate limits as burst/per second and whom to trust as a proxy', () => {
    const config = loadConfig({
      PUSHPROV_RATE_LIMIT_PER_IP: '1200/20',
      PUSHPROV_RATE_LIMIT_PER_CARDHOLDER: '50/0.5',
      PUSHPROV_TRUST_PROXY: '10.0.0.0/8, ::1',
    });
    expect(config.rateLimitPerIp).toEqual({ capacity: 1200, refillPerSecond: 20 });
    expect(config.rateLimitPerCardholder).toEqual({ capacity: 50, refillPerSecond: 0.5 });
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({ PUSHPROV_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({}).rateLimitPerIp).toEqual({ capacity: 600, refillPerSecond: 10 });
    expect(
      problemsOf({
        PUSHPROV_RATE_LIMIT_PER_IP: '600',
        PUSHPROV_RATE_LIMIT_PER_CARDHOLDER: '0/5',
        PUSHPROV_TRUST_PROXY: 'everyone',
      }),
    ).toEqual([
      'PUSHPROV_RATE_LIMIT_PER_IP="600": expected <burst>/<per second>, e.g. 600/10 (burst ≥ 1, rate > 0)',
      'PUSHPROV_RATE_LIMIT_PER_CARDHOLDER="0/5": expected <burst>/<per second>, e.g. 600/10 (burst ≥ 1, rate > 0)',
      'PUSHPROV_TRUST_PROXY="everyone": expected false, a number of proxy hops, or comma-separated proxy addresses/CIDRs',
    ]);
  });

  it('names every bad value with what was expected, all at once', () => {
    const problems = problemsOf({
      PUSHPROV_ISSUER_PORT: 'eighty',
      PUSHPROV_MERCHANT_PORT: '70000',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      PUSHPROV_MEMORY: 'maybe',
    });
    expect(problems).toEqual([
      'PUSHPROV_ISSUER_PORT="eighty": expected a port number 0–65535',
      'PUSHPROV_MERCHANT_PORT="70000": expected a port number 0–65535',
      'DATABASE_URL=(hidden): expected a postgres: or postgresql: URL',
      'PUSHPROV_MEMORY="maybe": expected true or false',
      'LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('requires real keys outside the simulator', () => {
    expect(problemsOf({ MASTERCARD_ENV: 'sandbox' })).toEqual([
      'MASTERCARD_CONSUMER_KEY: required when MASTERCARD_ENV=sandbox',
      'MASTERCARD_SIGNING_KEY_PATH: required when MASTERCARD_ENV=sandbox',
      'MASTERCARD_ENCRYPTION_CERT_PATH: required when MASTERCARD_ENV=sandbox',
      'PUSHPROV_ACCOUNT_RANGES: required when MASTERCARD_ENV=sandbox',
    ]);
  });

  it('reads an optional JSON file, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ PUSHPROV_ISSUER_PORT: 9100, LOG_LEVEL: 'debug' }));
    const config = loadConfig({ PUSHPROV_CONFIG: file, LOG_LEVEL: 'warn' });
    expect(config.issuerPort).toBe(9100);
    expect(config.logLevel).toBe('warn');
  });

  it('refuses a config file that is missing, not JSON, or names unknown settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ PUSHPROV_ISSUER_PROT: 1 }));
    expect(problemsOf({ PUSHPROV_CONFIG: join(dir, 'absent.json') })[0]).toMatch(/file not found/);
    expect(problemsOf({ PUSHPROV_CONFIG: bad })[0]).toMatch(/not valid JSON/);
    expect(problemsOf({ PUSHPROV_CONFIG: unknown })).toEqual([
      'PUSHPROV_CONFIG PUSHPROV_ISSUER_PROT: unknown setting',
    ]);
  });
});
