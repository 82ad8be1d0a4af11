import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  generateAesKey,
  importRsaKey,
  keyUri,
  PIN,
  recreateToken,
  removeToken,
  SOFTHSM_MODULE,
  softHsm,
  softHsmMissing,
  uniqueLabel,
} from '../support/softhsm.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/**
 * `pushprov start` in simulator mode with its keys in SoftHSM2: the vault's
 * KEK (a token of its own) and the key that signs the calls to Mastercard
 * (another; the development issuer key, which the simulator checks). A push
 * goes end to end through them, and `/readyz` asks the HSM (a session query,
 * no key operation), so a load balancer stops sending traffic to a server
 * whose HSM is gone, told which key.
 */
describe.skipIf(softHsmMissing)(
  `pushprov start with its keys in SoftHSM2${softHsmMissing ? ` (skipped: ${softHsmMissing})` : ''}`,
  { timeout: 120_000 },
  () => {
    let stack: Stack;
    const kek = uniqueLabel('kek');
    const signing = uniqueLabel('signing');

    beforeAll(async () => {
      softHsm();
      // Tokens of this file's own: they are removed below.
      generateAesKey('spare-5', kek);
      const devKey = readFileSync(join(inject('devKeysDir'), 'issuer-signing.key.pem'), 'utf8');
      importRsaKey('spare-6', signing, createPrivateKey(devKey));
      stack = await startStack({
        PUSHPROV_PKCS11_MODULE: SOFTHSM_MODULE,
        PUSHPROV_PKCS11_PIN: PIN,
        PUSHPROV_VAULT_KEK: keyUri('spare-5', kek, ''),
        PUSHPROV_VAULT_KEYRING: join(
          mkdtempSync(join(tmpdir(), 'pushprov-hsm-start-')),
          'vault-keyring.json',
        ),
        MASTERCARD_SIGNING_KEY_PATH: keyUri('spare-6', signing, ''),
        // A push left pending while the signing HSM was gone is sent again within seconds of its return.
        PUSHPROV_RECONCILE_SECONDS: '1',
      });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    });

    const readyz = async () => {
      const r = await fetch(`${stack.issuer}/readyz`);
      return { status: r.status, body: (await r.json()) as { status: string; problems?: string[] } };
    };
    const gone = (token: string, object: string) =>
      `HSM_UNAVAILABLE: the HSM holding pkcs11:token=${token};object=${object} is not reachable`;

    it('pushes a card to Click to Pay end to end, signed and sealed in the HSM', async () => {
      const alice = new CardholderClient(stack.issuer);
      await alice.signIn(DEMO.alice);
      const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
      const card = cards.find((c) => c.eligible)?.id ?? '';
      await alice.stepUp(DEMO.alice.totpSecret);
      const pushed = await alice.push([card], CLICK_TO_PAY);
      expect(pushed.status).toBe(201);
      const atClickToPay = await atTokenRequestor(pushed.body.redirectUrl as string);
      expect((await alice.call('GET', atClickToPay.callbackUrl ?? '')).status).toBe(200);
      await vi.waitFor(
        async () =>
          expect((await alice.call('GET', `/v1/provisionings/${pushed.body.id}`)).body.state).toBe(
            'completed',
          ),
        { timeout: 15_000, interval: 100 },
      );
      const tokens = (await alice.call('GET', `/v1/cards/${card}/tokens`)).body.tokens as {
        status: string;
      }[];
      expect(tokens.map((t) => t.status)).toEqual(['ACTIVE']);
    });

    it('is ready while the HSM answers, and not ready, saying which key, once a token is gone', async () => {
      expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', server: 'issuer' } });
      // Probing is no key operation: many probes, still ready.
      for (let i = 0; i < 5; i++) expect((await readyz()).status).toBe(200);

      removeToken('spare-6');
      const noSigning = await readyz();
      expect([noSigning.status, noSigning.body.status]).toEqual([503, 'not ready']);
      expect(noSigning.body.problems).toEqual([gone('spare-6', signing)]);
    });

    it('a push while the signing key’s token is gone: 503 HSM_UNAVAILABLE, left pending, and sent once the key is back', async () => {
      // The calls to Mastercard are signed there: none goes out now, and the answer names the HSM.
      const bob = new CardholderClient(stack.issuer);
      await bob.signIn(DEMO.bob);
      const cards = (await bob.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
      await bob.stepUp(DEMO.bob.totpSecret);
      const card = cards.find((c) => c.eligible)?.id ?? '';
      const key = 'hsm-gone-push';
      const refused = await bob.push([card], CLICK_TO_PAY, key);
      expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([
        503,
        'HSM_UNAVAILABLE',
      ]);
      expect(JSON.stringify(refused.body)).not.toContain('TOKEN_CONNECT');
      // Nothing half-written: the push is recorded pending (its key answers with it), its card not failed, no receipt.
      const replay = await bob.push([card], CLICK_TO_PAY, key);
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ state: 'pending', cards: [{ state: 'pending' }] });
      const id = replay.body.id as string;

      // The HSM is back with the key: reconciliation sends the same push, and the receipt comes.
      recreateToken('spare-6');
      importRsaKey(
        'spare-6',
        signing,
        createPrivateKey(readFileSync(join(inject('devKeysDir'), 'issuer-signing.key.pem'), 'utf8')),
      );
      await vi.waitFor(
        async () =>
          expect((await bob.call('GET', `/v1/provisionings/${id}`)).body.state).toBe('receipt_issued'),
        { timeout: 20_000, interval: 200 },
      );
      expect((await readyz()).status).toBe(200);
    });

    it('is not ready, naming both keys, once both tokens are gone', async () => {
      removeToken('spare-6');
      removeToken('spare-5');
      const neither = await readyz();
      expect(neither.status).toBe(503);
      expect(neither.body.problems).toEqual(
        expect.arrayContaining([gone('spare-6', signing), gone('spare-5', kek)]),
      );
      expect(neither.body.problems).toHaveLength(2);
      // No PIN in what anyone may read.
      expect(JSON.stringify(neither.body)).not.toContain(PIN);
    });
  },
);
