import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { hsmDecryptionKey, hsmSigningKey, hsmWrappingKey } from '../../../src/core/hsm/keys.js';
import { parsePkcs11Uri } from '../../../src/core/hsm/uri.js';
import {
  closeAllSessions,
  finalise,
  generateAesKey,
  importRsaKey,
  keyUri,
  PIN,
  removeToken,
  SOFTHSM_MODULE,
  softHsm,
  softHsmMissing,
  uniqueLabel,
} from '../../support/softhsm.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = createPublicKey(privateKey);
const at = (uri: string, pin?: string) => ({
  modulePath: SOFTHSM_MODULE,
  uri: parsePkcs11Uri(uri),
  ...(pin === undefined ? {} : { pin }),
});

describe.skipIf(softHsmMissing)(
  `keys in SoftHSM2 through PKCS#11${softHsmMissing ? ` (skipped: ${softHsmMissing})` : ''}`,
  () => {
    const rsa = uniqueLabel('rsa');
    const kek = uniqueLabel('kek');
    beforeAll(() => {
      softHsm();
      importRsaKey('pushprov', rsa, privateKey);
      generateAesKey('pushprov', kek);
      generateAesKey('pushprov', `${kek}-short`, 16);
    });

    it('signs RSA-SHA256 with the key in the token, verifiable with its public key', () => {
      const key = hsmSigningKey(at(keyUri('pushprov', rsa)));
      const data = Buffer.from('POST&https%3A%2F%2Fapi.mastercard.com&oauth_nonce%3Dx');
      expect(verify('sha256', data, publicKey, key.signSha256(data))).toBe(true);
      expect(key.publicKey.export({ format: 'jwk' }).n).toBe(publicKey.export({ format: 'jwk' }).n);
      key.close();
    });

    it.each(['sha256', 'sha512'] as const)('unwraps an RSA-OAEP (%s) session key', (oaepHash) => {
      const key = hsmDecryptionKey(at(keyUri('pushprov', rsa)));
      const sessionKey = randomBytes(16);
      const wrapped = publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        sessionKey,
      );
      expect(key.decrypt(wrapped, { oaep: oaepHash })).toEqual(sessionKey);
      // The other digest does not decode: the padding is checked, not skipped.
      expect(() => key.decrypt(wrapped, { oaep: oaepHash === 'sha256' ? 'sha512' : 'sha256' })).toThrow(
        expect.objectContaining({ code: 'RSA_DECRYPTION_FAILED' }),
      );
      key.close();
    });

    it('unwraps a PKCS #1 v1.5 session key and refuses a changed one', () => {
      const key = hsmDecryptionKey(at(keyUri('pushprov', rsa)));
      const sessionKey = randomBytes(32);
      const wrapped = publicEncrypt(
        { key: publicKey, padding: constants.RSA_NO_PADDING },
        pkcs1Pad(sessionKey, 256),
      );
      expect(key.decrypt(wrapped, 'pkcs1')).toEqual(sessionKey);
      expect(() => key.decrypt(wrapped, { oaep: 'sha256' })).toThrow(
        expect.objectContaining({ code: 'RSA_DECRYPTION_FAILED' }),
      );
      key.close();
    });

    it('wraps with AES-256-GCM in the token: round trip, and a changed tag or AAD does not open', () => {
      const key = hsmWrappingKey(at(keyUri('pushprov', kek)));
      const iv = randomBytes(12);
      const aad = Buffer.from('PPV\x01kek');
      const dek = randomBytes(32);
      const sealed = key.seal(iv, aad, dek);
      expect(sealed).toHaveLength(12 + 32 + 16);
      const [ivOut, ct, tag] = [sealed.subarray(0, 12), sealed.subarray(12, 44), sealed.subarray(44)];
      expect(key.open(aad, ivOut, tag, ct)).toEqual(dek);
      expect(() => key.open(Buffer.from('other'), ivOut, tag, ct)).toThrow();
      const badTag = Buffer.from(tag);
      badTag[0]! ^= 1;
      expect(() => key.open(aad, ivOut, badTag, ct)).toThrow();
      key.close();
    });

    it('refuses, each with its own code: a missing key, a wrong PIN, no PIN, a token not there, an unsuitable key', () => {
      const attempt = (run: () => { close(): void }) => {
        try {
          run().close();
        } catch (error) {
          return (error as { code: string; message: string }).code;
        }
        return 'none';
      };
      expect(attempt(() => hsmSigningKey(at(keyUri('pushprov', 'no-such-key'))))).toBe('HSM_KEY_NOT_FOUND');
      expect(attempt(() => hsmSigningKey(at(keyUri('pushprov', rsa, 'pin-value=000000'))))).toBe(
        'HSM_PIN_INCORRECT',
      );
      expect(attempt(() => hsmSigningKey(at(keyUri('pushprov', rsa, ''))))).toBe('HSM_PIN_MISSING');
      expect(attempt(() => hsmSigningKey(at(keyUri('pushprov', rsa, ''), PIN)))).toBe('none');
      expect(
        attempt(() => hsmSigningKey(at(keyUri('spare-4' as 'pushprov', rsa).replace('spare-4', 'nowhere')))),
      ).toBe('HSM_TOKEN_NOT_FOUND');
      expect(attempt(() => hsmWrappingKey(at(keyUri('pushprov', `${kek}-short`))))).toBe(
        'HSM_KEY_UNSUITABLE',
      );
      expect(attempt(() => hsmSigningKey(at(keyUri('pushprov', kek))))).toBe('HSM_KEY_NOT_FOUND');
      expect(
        attempt(() =>
          hsmSigningKey({ ...at(keyUri('pushprov', rsa)), modulePath: '/nonexistent/libpkcs11.so' }),
        ),
      ).toBe('HSM_MODULE_UNLOADABLE');
    });

    it('a wrong PIN never shows in the error', () => {
      const label = uniqueLabel('pin');
      importRsaKey('spare-2', label, privateKey);
      let message = '';
      try {
        hsmSigningKey(at(keyUri('spare-2', label, 'pin-value=999999')));
      } catch (error) {
        message = `${(error as Error).message} ${JSON.stringify(error)}`;
      }
      expect(message).toContain('PIN');
      expect(message).not.toContain('999999');
    });

    it('carries on after its sessions are closed and after the module is finalised (reconnects once)', () => {
      const key = hsmSigningKey(at(keyUri('pushprov', rsa)));
      const data = Buffer.from('x');
      closeAllSessions('pushprov');
      expect(verify('sha256', data, publicKey, key.signSha256(data))).toBe(true);
      finalise();
      expect(verify('sha256', data, publicKey, key.signSha256(data))).toBe(true);
      key.close();
    });

    it('a token that is gone: HSM_UNAVAILABLE (503) on each operation, no result', () => {
      const label = uniqueLabel('doomed');
      importRsaKey('spare-1', label, privateKey);
      const key = hsmSigningKey(at(keyUri('spare-1', label)));
      removeToken('spare-1');
      for (let i = 0; i < 2; i++) {
        expect(() => key.signSha256(Buffer.from('x'))).toThrow(
          expect.objectContaining({ code: 'HSM_UNAVAILABLE', status: 503 }),
        );
      }
      // Keys on other tokens are not affected.
      expect(
        verify(
          'sha256',
          Buffer.from('y'),
          publicKey,
          hsmSigningKey(at(keyUri('pushprov', rsa))).signSha256(Buffer.from('y')),
        ),
      ).toBe(true);
    });
  },
);

/** EM = 00 02 PS 00 M, PS random non-zero bytes. */
function pkcs1Pad(message: Buffer, k: number): Buffer {
  const ps = Buffer.alloc(k - message.length - 3);
  for (let i = 0; i < ps.length; i++) {
    let b = 0;
    while (b === 0) b = randomBytes(1)[0]!;
    ps[i] = b;
  }
  return Buffer.concat([Buffer.of(0, 2), ps, Buffer.of(0), message]);
}
