import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/app/config.js';
import { devKeyringPath, keyringSource } from '../../src/app/vault.js';
import { runCli } from '../support/process.js';

/** The vault and card commands as an operator runs them: the real CLI, in a fresh data directory. */
const config = (env: Record<string, string>): Config => loadConfig(env);

describe('vault configuration', () => {
  it('creates a development keyring only in the simulator with no key configured', () => {
    const dev = config({ PUSHPROV_DATA_DIR: '/data' });
    expect(keyringSource(dev)).toEqual({ path: devKeyringPath(dev), createIfMissing: true });
    expect(devKeyringPath(dev)).toBe('/data/keys/vault-keyring.json');
    const kek = Buffer.alloc(32, 1).toString('base64');
    expect(keyringSource(config({ PUSHPROV_VAULT_KEK: kek }))).toEqual({ kek });
    const sandbox = config({
      MASTERCARD_ENV: 'sandbox',
      MASTERCARD_CONSUMER_KEY: 'ck',
      MASTERCARD_SIGNING_KEY_PATH: 'k.p12',
      MASTERCARD_ENCRYPTION_CERT_PATH: 'c.pem',
      PUSHPROV_ACCOUNT_RANGES: '555555555',
    });
    expect(keyringSource(sandbox)).toEqual({});
    expect(keyringSource({ ...sandbox, vaultKeyringPath: '/etc/pushprov/ring.json' })).toEqual({
      path: '/etc/pushprov/ring.json',
    });
  });

  it('refuses a malformed PUSHPROV_VAULT_KEK at start-up without printing it', () => {
    expect(() => config({ PUSHPROV_VAULT_KEK: 'c2hvcnQ=' })).toThrow(
      'PUSHPROV_VAULT_KEK=(hidden): expected base64 of 32 bytes',
    );
  });
});

describe('pushprov cards import and keys rotate', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-cli-'));
  const env = { PUSHPROV_DATA_DIR: dataDir };
  const run = async (...args: string[]) => {
    const cli = runCli(args, env);
    const code = await cli.exited;
    return { code, out: cli.stdout(), err: cli.stderr() };
  };
  const keyIds = () =>
    (
      JSON.parse(readFileSync(join(dataDir, 'keys', 'vault-keyring.json'), 'utf8')) as {
        keys: { id: string }[];
      }
    ).keys.map((k) => k.id);

  it('imports a file with progress and a summary', async () => {
    const first = await run('cards', 'import', 'fixtures/demo-cards.json');
    expect(first.code).toBe(0);
    expect(first.out).toContain('… 4/4 cardholders');
    expect(first.out).toContain(
      'imported fixtures/demo-cards.json: cardholders 4 created, 0 updated, 0 unchanged; cards 8 created, 0 updated, 0 unchanged',
    );
  }, 180_000);

  it('lists every problem of a refused file, exits 1, and shows no value', async () => {
    const fixture = JSON.parse(readFileSync('fixtures/demo-cards.json', 'utf8'));
    fixture.cardholders[0].cards[0].pan = '5555555555554443';
    fixture.cardholders[1].email = 'bob-at-example';
    const file = join(dataDir, 'bad.json');
    writeFileSync(file, JSON.stringify(fixture));
    const { code, out, err } = await run('cards', 'import', file);
    expect(code).toBe(1);
    expect(err).toContain('cardholders[0].cards[0].pan: PAN_LUHN: fails the Luhn check');
    expect(err).toContain('cardholders[1].email: EMAIL_FORMAT');
    expect(err).toContain('IMPORT_INVALID');
    expect(`${out}${err}`).not.toContain('5555555555554443');
    expect(`${out}${err}`).not.toContain('bob-at-example');
  }, 180_000);

  it('rotates in batches with progress, reports what each key still wraps, and retires the old key', async () => {
    const [old] = keyIds();
    const rotated = await run('keys', 'rotate', '--batch-size', '3');
    expect(rotated.code).toBe(0);
    const [, fresh] = keyIds();
    expect(fresh).toBeDefined();
    expect(rotated.out).toContain('… cards.pan_sealed: 3/8');
    expect(rotated.out).toContain('… cards.pan_sealed: 8/8');
    expect(rotated.out).toContain(`new vault key ${fresh} is active`);
    expect(rotated.out).toContain('re-wrapped 12 sealed values');
    expect(rotated.out).toContain(`${fresh}: 12 (active)`);
    expect(rotated.out).toContain(`${old}: 0 (unused`);
    const retired = await run('keys', 'retire');
    expect(retired.out).toContain(`retired ${old}`);
    expect(keyIds()).toEqual([fresh]);
    // Still readable under the new key alone, and importing the same file again changes nothing.
    const again = await run('cards', 'import', 'fixtures/demo-cards.json');
    expect(again.out).toContain('cards 0 created, 0 updated, 8 unchanged');
  }, 240_000);
});
