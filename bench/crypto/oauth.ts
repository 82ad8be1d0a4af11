import { generateKeyPairSync, sign, verify } from 'node:crypto';
import OAuth from 'mastercard-oauth1-signer';
import { ManualClock } from '../../src/core/clock.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { OAuthVerifier } from '../../src/mastercard/oauth/verifier.js';
import type { BenchCase } from '../harness.js';

const CONSUMER_KEY =
  'L5BsiPgaF-O3qA36znUATgQXwJB6MRoMSdhjd7wt50c97279!50596e52466e3966546d434b7354584c4975693238513d3d';
const URL =
  'https://sandbox.api.mastercard.com/mdes/digitization/static/1/0/tokenize?requestId=8b3f9d&mode=push';

/** A Token Connect-like JSON body of about 1 KB. */
function body(): string {
  const encrypted = 'A'.repeat(684);
  return JSON.stringify({
    responseHost: 'site.example.com',
    requestId: '123456',
    tokenType: 'CLOUD',
    tokenRequestorId: '98765432101',
    taskId: '123456',
    fundingAccountInfo: {
      encryptedPayload: {
        encryptedData: encrypted,
        publicKeyFingerprint: '4c4ead5927f0df8117f178eea9308daa58e27c2b',
        encryptedKey: 'A1B2C3D4E5F6112233445566',
        oaepHashingAlgorithm: 'SHA512',
        iv: 'NA==',
      },
    },
  });
}

/**
 * OAuth signing and verification, each group led by the floor it cannot go
 * below: one raw RSA-2048 operation with a key already parsed. The same key
 * and request throughout; the official library gets the key as PEM, the form
 * it takes, and so parses it on every call.
 */
export function oauthCases(): BenchCase[] {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const payload = body();
  const clock = new ManualClock();
  const signer = new OAuthSigner({ consumerKey: CONSUMER_KEY, signingKey: privateKey, clock });
  const authorization = signer.authorizationHeader('POST', URL, payload);
  // Each run verifies the same request again, so replay protection is left
  // out: a nonce store that never refuses.
  const verifier = new OAuthVerifier({
    resolveKey: () => publicKey,
    nonces: { remember: async () => true },
    clock,
  });
  // A stand-in for the signature base string, of the same length.
  const data = Buffer.alloc(700, 'x');
  const signature = sign('sha256', data, privateKey);

  return [
    { group: 'OAuth sign', name: 'raw RSA-2048', fn: () => sign('sha256', data, privateKey) },
    { group: 'OAuth sign', name: 'pushprov', fn: () => signer.authorizationHeader('POST', URL, payload) },
    {
      group: 'OAuth sign',
      name: 'mastercard-oauth1-signer',
      fn: () => OAuth.getAuthorizationHeader(URL, 'POST', payload, CONSUMER_KEY, pem),
    },
    { group: 'OAuth verify', name: 'raw RSA-2048', fn: () => verify('sha256', data, publicKey, signature) },
    {
      group: 'OAuth verify',
      name: 'pushprov',
      fn: () => verifier.verify({ method: 'POST', url: URL, body: payload, authorization }),
    },
  ];
}
