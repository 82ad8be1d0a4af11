import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateAesKey,
  keyUri,
  PIN,
  removeToken,
  SOFTHSM_MODULE,
  softHsm,
  softHsmMissing,
  uniqueLabel,
} from '../support/softhsm.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * `pushprov start` with a key in SoftHSM2: the vault's KEK. `/readyz` asks
 * the HSM (a session query, no key operation), so a load balancer stops
 * sending traffic to a server whose HSM is gone, told why.
 */
describe.skipIf(softHsmMissing)(
  `pushprov start with the vault's KEK in SoftHSM2${softHsmMissing ? ` (skipped: ${softHsmMissing})` : ''}`,
  { timeout: 120_000 },
  () => {
    let stack: Stack;
    const kek = uniqueLabel('kek');

    beforeAll(async () => {
      softHsm();
      // A token of this file's own: it is removed below.
      generateAesKey('spare-5', kek);
      stack = await startStack({
        PUSHPROV_PKCS11_MODULE: SOFTHSM_MODULE,
        PUSHPROV_PKCS11_PIN: PIN,
        PUSHPROV_VAULT_KEK: keyUri('spare-5', kek, ''),
        PUSHPROV_VAULT_KEYRING: join(
          mkdtempSync(join(tmpdir(), 'pushprov-hsm-start-')),
          'vault-keyring.json',
        ),
      });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    });

    const readyz = async () => {
      const r = await fetch(`${stack.issuer}/readyz`);
      return { status: r.status, body: (await r.json()) as { status: string; problems?: string[] } };
    };

    it('is ready while the HSM answers, and not ready, saying which key, once its token is gone', async () => {
      expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', server: 'issuer' } });
      // Probing is no key operation: many probes, still ready.
      for (let i = 0; i < 5; i++) expect((await readyz()).status).toBe(200);

      removeToken('spare-5');
      const gone = await readyz();
      expect(gone.status).toBe(503);
      expect(gone.body.status).toBe('not ready');
      expect(gone.body.problems).toEqual([
        `HSM_UNAVAILABLE: the HSM holding pkcs11:token=spare-5;object=${kek} is not reachable`,
      ]);
      // No PIN in what anyone may read.
      expect(JSON.stringify(gone.body)).not.toContain(PIN);
    });
  },
);
