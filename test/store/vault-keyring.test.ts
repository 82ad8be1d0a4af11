import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Keyring, loadKeyring, writeKeyringFile } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const dir = () => mkdtempSync(join(tmpdir(), 'pushprov-keyring-'));

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('keyring loading', () => {
  it('creates a development keyring once, owner-readable only, and loads the same keys after', () => {
    const path = join(dir(), 'keys', 'vault-keyring.json');
    const first = loadKeyring({ path, createIfMissing: true, now: NOW });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadKeyring({ path, createIfMissing: true });
    expect(second.activeId).toBe(first.activeId);
    const sealed = new Vault(first).seal('secret', 'ctx');
    expect(new Vault(second).open(sealed, 'ctx').toString()).toBe('secret');
    expect(new Vault(second).blindIndex('p', 'v').equals(new Vault(first).blindIndex('p', 'v'))).toBe(true);
  });

  it('takes one KEK from the environment, with an id and index key that are the same on every start', () => {
    const kek = randomBytes(32).toString('base64');
    const a = loadKeyring({ kek });
    const b = loadKeyring({ kek });
    expect(a.activeId).toMatch(/^kek_env_[0-9a-f]{16}$/);
    expect(b.activeId).toBe(a.activeId);
    expect(new Vault(a).blindIndex('p', 'v').equals(new Vault(b).blindIndex('p', 'v'))).toBe(true);
    expect(new Vault(b).open(new Vault(a).seal('x', 'c'), 'c').toString()).toBe('x');
  });

  it('adds the environment KEK to a keyring file, so values sealed under either open', () => {
    const path = join(dir(), 'ring.json');
    const fileRing = Keyring.generate(NOW);
    writeKeyringFile(path, fileRing);
    const kek = randomBytes(32).toString('base64');
    const merged = loadKeyring({ path, kek });
    expect(merged.activeId).toBe(fileRing.activeId);
    const fromEnv = new Vault(loadKeyring({ kek })).seal('x', 'c');
    expect(new Vault(merged).open(fromEnv, 'c').toString()).toBe('x');
  });

  it('names a bad environment KEK without showing it', () => {
    const bad = Buffer.alloc(16, 7).toString('base64');
    const problems = problemsOf(() => loadKeyring({ kek: bad }));
    expect(problems).toEqual(['PUSHPROV_VAULT_KEK=(hidden): expected base64 of 32 bytes']);
    expect(problems.join()).not.toContain(bad);
  });

  it('names every bad value of a keyring file, each on its own', () => {
    const path = join(dir(), 'ring.json');
    const good = randomBytes(32).toString('base64');
    writeFileSync(
      path,
      JSON.stringify({
        version: 2,
        active: 'kek_missing',
        indexKey: 'short',
        keys: [
          { id: 'kek_a', key: good },
          { id: 'kek_a', key: good },
          { id: 'kek b', key: good },
          { id: 'kek_c', key: 'not-a-key' },
        ],
      }),
    );
    const problems = problemsOf(() => loadKeyring({ path }));
    const where = `PUSHPROV_VAULT_KEYRING=${JSON.stringify(path)}`;
    expect(problems).toEqual([
      `${where}: version: expected 1`,
      `${where}: indexKey: expected base64 of 32 bytes`,
      `${where}: keys[1].id: kek_a appears twice`,
      `${where}: keys[2].id: expected 1–64 letters, digits, '_', '.' or '-'`,
      `${where}: keys[3].key: expected base64 of 32 bytes`,
      `${where}: active: expected the id of one of keys`,
    ]);
    expect(problems.join()).not.toContain(good);
  });

  it('refuses a file that is not JSON, and a missing file when it may not create one', () => {
    const path = join(dir(), 'ring.json');
    writeFileSync(path, '{ nope');
    expect(problemsOf(() => loadKeyring({ path }))).toEqual([
      `PUSHPROV_VAULT_KEYRING=${JSON.stringify(path)}: not a readable JSON file`,
    ]);
    const missing = join(dir(), 'absent.json');
    expect(problemsOf(() => loadKeyring({ path: missing }))).toEqual([
      `PUSHPROV_VAULT_KEYRING=${JSON.stringify(missing)}: file not found`,
    ]);
  });

  it('requires a key when nothing is configured (outside the simulator)', () => {
    expect(problemsOf(() => loadKeyring({}))).toEqual([
      'PUSHPROV_VAULT_KEYRING or PUSHPROV_VAULT_KEK: a vault key is required outside the simulator',
    ]);
  });

  it('writes what it reads: KEKs, the active one and the index key survive a round trip', () => {
    const path = join(dir(), 'ring.json');
    const ring = Keyring.generate(NOW).withNewActiveKek(NOW);
    writeKeyringFile(path, ring);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json.keys).toHaveLength(2);
    const back = loadKeyring({ path });
    expect(back.ids).toEqual(ring.ids);
    expect(back.activeId).toBe(ring.activeId);
    expect(back.indexKey.equals(ring.indexKey)).toBe(true);
  });

  it('refuses to retire the active key', () => {
    const ring = Keyring.generate(NOW);
    expect(() => ring.without([ring.activeId])).toThrow(ConfigError);
  });
});
