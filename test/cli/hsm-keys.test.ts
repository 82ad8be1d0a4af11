import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/app/config.js';
import { hsmDecryptionKeyFor, hsmReadiness, hsmSigningKeyFor } from '../../src/app/hsm.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { PreDigitizationPayloads } from '../../src/mastercard/pre-digitization/payload.js';
import { CardAccountDataSchema } from '../../src/mastercard/pre-digitization/schemas.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import {
  importRsaKey,
  keyUri,
  PIN,
  removeToken,
  SOFTHSM_MODULE,
  softHsm,
  softHsmMissing,
  uniqueLabel,
} from '../support/softhsm.js';

describe('pkcs11: URIs in the configuration', () => {
  const sandbox = {
    MASTERCARD_ENV: 'sandbox',
    MASTERCARD_CONSUMER_KEY: 'ck',
    MASTERCARD_ENCRYPTION_CERT_PATH: 'c.pem',
    PUSHPROV_ACCOUNT_RANGES: '555555555',
  };
  const problems = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it('takes a key by URI, and wants the module it lives in', () => {
    const uri = 'pkcs11:token=Bank;object=mc-signing?pin-source=file:/run/secrets/pin';
    expect(problems({ ...sandbox, MASTERCARD_SIGNING_KEY_PATH: uri })).toMatch(
      /PUSHPROV_PKCS11_MODULE: required, since MASTERCARD_SIGNING_KEY_PATH is a pkcs11: URI/,
    );
    const config = loadConfig({
      ...sandbox,
      MASTERCARD_SIGNING_KEY_PATH: uri,
      PUSHPROV_PKCS11_MODULE: 'package.json',
    });
    expect(config.mastercardSigningKeyPath).toBe(uri);
    // module-path in the URI is enough.
    expect(problems({ ...sandbox, MASTERCARD_SIGNING_KEY_PATH: `${uri}&module-path=/usr/lib/x.so` })).toBe(
      '',
    );
  });

  it('refuses a malformed URI naming what is wrong, never showing a PIN', () => {
    const message = problems({
      ...sandbox,
      MASTERCARD_SIGNING_KEY_PATH: 'pkcs11:token=Bank;objet=mc?pin-value=4711',
      PUSHPROV_VAULT_KEK: 'pkcs11:token=Bank?pin-value=4712',
    });
    expect(message).toContain(
      'MASTERCARD_SIGNING_KEY_PATH="pkcs11:token=Bank;objet=mc?pin-value=(hidden)": not a usable pkcs11: URI: unknown attribute \'objet\'',
    );
    expect(message).toContain('PUSHPROV_VAULT_KEK=(hidden): not a usable pkcs11: URI: it names no key');
    expect(message).not.toMatch(/4711|4712/);
  });

  it('`pushprov config` shows a key URI without its pin-value', () => {
    const config = loadConfig({
      ...sandbox,
      MASTERCARD_SIGNING_KEY_PATH: 'pkcs11:token=Bank;object=mc?pin-value=4711',
      PUSHPROV_PKCS11_MODULE: 'package.json',
      PUSHPROV_PKCS11_PIN: '97531',
    });
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).toContain('pkcs11:token=Bank;object=mc?pin-value=(hidden)');
    expect(shown).not.toMatch(/4711|97531/);
  });
});

describe.skipIf(softHsmMissing)(
  `the issuer's Mastercard keys in SoftHSM2${softHsmMissing ? ` (skipped: ${softHsmMissing})` : ''}`,
  () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const label = uniqueLabel('issuer');
    const spare4Key = uniqueLabel('issuer');
    const config = (over: Record<string, string> = {}) =>
      loadConfig({ PUSHPROV_PKCS11_MODULE: SOFTHSM_MODULE, PUSHPROV_PKCS11_PIN: PIN, ...over });
    beforeAll(() => {
      softHsm();
      importRsaKey('pushprov', label, privateKey);
    });

    it('signs Mastercard calls through the HSM: the very header the file key makes', () => {
      const fixed = { nonce: 'abcdefABCDEF1234', timestamp: 1_767_225_600 };
      const url = 'https://sandbox.api.mastercard.com/mdes/digitization/static/1/0/tokenize';
      const body = '{"responseHost":"site.1"}';
      const hsm = new OAuthSigner({
        consumerKey: 'ck!',
        signingKey: hsmSigningKeyFor(config(), keyUri('pushprov', label, '')),
      });
      const file = new OAuthSigner({ consumerKey: 'ck!', signingKey: privateKey });
      expect(hsm.authorizationHeader('POST', url, body, fixed)).toBe(
        file.authorizationHeader('POST', url, body, fixed),
      );
    });

    it("opens MDES's Pre-Digitization payloads with the key in the HSM (SHA-512 and SHA-256 OAEP)", () => {
      const payloads = new PreDigitizationPayloads({
        decryptionKeys: [{ privateKey: hsmDecryptionKeyFor(config(), keyUri('pushprov', label)) }],
      });
      for (const oaepHashingAlgorithm of ['SHA512', 'SHA256'] as const) {
        const envelope = new FieldLevelPayloadEncrypter({
          encryptionKey: publicKey,
          oaepHashingAlgorithm,
        }).encrypt(
          JSON.stringify({ accountNumber: '5555555555554444', expiryMonth: '12', expiryYear: '30' }),
        );
        expect(payloads.open(envelope, CardAccountDataSchema, '/cardInfo')).toEqual({
          accountNumber: '5555555555554444',
          expiryMonth: '12',
          expiryYear: '30',
        });
      }
    });

    it("an HSM gone while MDES's payload is opened is HSM_UNAVAILABLE, not the payload's CRYPTOGRAPHY_ERROR", () => {
      const spare = spare4Key;
      importRsaKey('spare-4', spare, privateKey);
      const payloads = new PreDigitizationPayloads({
        decryptionKeys: [{ privateKey: hsmDecryptionKeyFor(config(), keyUri('spare-4', spare)) }],
      });
      const envelope = new FieldLevelPayloadEncrypter({ encryptionKey: publicKey }).encrypt(
        '{"accountNumber":"5555555555554444"}',
      );
      removeToken('spare-4');
      expect(() => payloads.open(envelope, CardAccountDataSchema, '/cardInfo')).toThrow(
        expect.objectContaining({ code: 'HSM_UNAVAILABLE', status: 503 }),
      );
    });

    // After the test above: this process still holds its key on spare-4, whose token is gone.
    it('is ready by its own keys alone: a key the process holds for something else, token gone, is not its problem', () => {
      const settings = config({ MASTERCARD_SIGNING_KEY_PATH: keyUri('pushprov', label, '') });
      // Held open, as the issuer holds its signing key.
      hsmSigningKeyFor(settings, settings.mastercardSigningKeyPath ?? '');
      expect(hsmReadiness(settings)?.()).toEqual([]);
      // A configuration naming the gone key is not ready, and says which.
      expect(
        hsmReadiness(config({ MASTERCARD_SIGNING_KEY_PATH: keyUri('spare-4', spare4Key, '') }))?.(),
      ).toEqual([
        `HSM_UNAVAILABLE: the HSM holding pkcs11:token=spare-4;object=${spare4Key} is not reachable`,
      ]);
    });

    it('refuses to start with one message naming the variable: wrong PIN, missing key', () => {
      const failure = (run: () => unknown) => {
        try {
          run();
        } catch (error) {
          return `${(error as { code: string }).code}: ${(error as Error).message}`;
        }
        return 'started';
      };
      expect(failure(() => hsmSigningKeyFor(config(), keyUri('pushprov', label, 'pin-value=111111')))).toBe(
        `HSM_PIN_INCORRECT: MASTERCARD_SIGNING_KEY_PATH: the PIN for pkcs11:token=pushprov;object=${label} is wrong`,
      );
      expect(failure(() => hsmDecryptionKeyFor(config(), keyUri('pushprov', 'gone')))).toBe(
        'HSM_KEY_NOT_FOUND: PUSHPROV_MDES_ENCRYPTION_KEY: no private key pkcs11:token=pushprov;object=gone in the token',
      );
      expect(failure(() => hsmSigningKeyFor(loadConfig({}), keyUri('pushprov', label)))).toBe(
        'HSM_MODULE_REQUIRED: MASTERCARD_SIGNING_KEY_PATH: PUSHPROV_PKCS11_MODULE is not set',
      );
    });
  },
);
