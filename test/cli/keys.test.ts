import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/process.js';

describe('pushprov keys generate', () => {
  it('writes a development set with a printed summary, private keys 0600, and refuses to overwrite it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pushprov-keys-')), 'keys');
    const first = runCli(['keys', 'generate', '--dir', dir]);
    expect(await first.exited).toBe(0);
    const out = first.stdout();
    expect(out).toContain('generating 5 RSA-2048 key pairs');
    expect(out).toMatch(/consumer key: \S+/);
    expect(out).toMatch(/public key fingerprint: [0-9a-f]{64}/);
    expect(out).not.toContain('PRIVATE KEY');
    expect(statSync(join(dir, 'issuer-signing.key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'issuer-signing.p12'))).toBe(true);

    const again = runCli(['keys', 'generate', '--dir', dir]);
    expect(await again.exited).toBe(1);
    expect(again.stderr()).toContain('KEY_DEV_SET_EXISTS');
  });
});
