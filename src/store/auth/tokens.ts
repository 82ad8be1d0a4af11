import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (session tokens, SCA grants, ops API keys): 256 random bits,
 * with a short prefix saying what they are, so a leaked one is recognisable
 * by secret scanners and never mistaken for another kind. Only their SHA-256
 * digest is ever stored or compared; a database dump yields nothing usable.
 */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');
