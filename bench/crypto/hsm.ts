import { generateKeyPairSync } from 'node:crypto';
import { hsmSigningKey } from '../../src/core/hsm/keys.js';
import { parsePkcs11Uri } from '../../src/core/hsm/uri.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { importRsaKey, keyUri, SOFTHSM_MODULE, softHsm, softHsmMissing } from '../../test/support/softhsm.js';
import type { BenchCase } from '../harness.js';

export const HSM_SIGNER = 'pushprov, key in SoftHSM2';
export const FILE_SIGNER = 'pushprov, key in a file';

/**
 * OAuth signing with the same RSA-2048 key as a file key and as a key in
 * SoftHSM2 (a token made for the run in a temporary directory), so the two
 * stand side by side; none when SoftHSM2 is not installed, and why.
 */
export function hsmSigningCases(): { cases: BenchCase[]; skipped: string | false } {
  if (softHsmMissing) return { cases: [], skipped: softHsmMissing };
  softHsm();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  importRsaKey('pushprov', 'bench-signing', privateKey);
  const inHsm = hsmSigningKey({
    modulePath: SOFTHSM_MODULE,
    uri: parsePkcs11Uri(keyUri('pushprov', 'bench-signing')),
  });
  const url = 'https://sandbox.api.mastercard.com/mdes/digitization/static/1/0/tokenize';
  const body = JSON.stringify({
    responseHost: 'site.example.com',
    requestId: '123456',
    data: 'A'.repeat(900),
  });
  const file = new OAuthSigner({ consumerKey: 'ck', signingKey: privateKey });
  const hsm = new OAuthSigner({ consumerKey: 'ck', signingKey: inHsm });
  return {
    skipped: false,
    cases: [
      {
        group: 'OAuth sign, file vs HSM',
        name: FILE_SIGNER,
        fn: () => file.authorizationHeader('POST', url, body),
      },
      {
        group: 'OAuth sign, file vs HSM',
        name: HSM_SIGNER,
        fn: () => hsm.authorizationHeader('POST', url, body),
      },
    ],
  };
}
