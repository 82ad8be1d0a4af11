import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withClaim } from '../core/pid-lock.js';
import {
  type EncryptionIdentity,
  ensureEncryptionIdentity,
} from '../mastercard/keys/dev-encryption-identity.js';
import { type DevPkiSummary, generateDevPki, hasDevPki } from '../mastercard/keys/dev-pki.js';
import {
  type DevKeySummary,
  type DevKeys,
  generateDevKeys,
  loadDevKeys,
} from '../mastercard/keys/generate.js';
import type { Config } from './config.js';

const MANIFEST = 'pushprov-dev-keys.json';

export const devKeysDir = (config: Config): string => join(config.dataDir, 'keys');

/** The development keys `pushprov start` runs with: the key set, and the demo merchant's encryption identity. */
export type StartKeys = DevKeys & { merchantEncryption: EncryptionIdentity };

/** The file stem of the demo merchant's encryption key and certificate in the development key directory. */
export const MERCHANT_ENCRYPTION_STEM = 'merchant-encryption';

/**
 * The development key set, the development mutual TLS PKI and the demo
 * merchant's encryption identity (which MDES encrypts token details to),
 * generated on first use so `npm start` needs no setup. The PKI and the
 * merchant's identity are looked for apart: a key set written before they
 * existed gains them without losing its keys.
 */
export async function ensureDevKeys(config: Config, say: (line: string) => void): Promise<StartKeys> {
  const dir = devKeysDir(config);
  // Instances started together on one data directory: one generates, the others wait and load its keys.
  mkdirSync(config.dataDir, { recursive: true });
  return withClaim(join(config.dataDir, 'keys.lock'), () => generateMissing(dir, say));
}

async function generateMissing(dir: string, say: (line: string) => void): Promise<StartKeys> {
  if (!existsSync(join(dir, MANIFEST))) {
    say(`generating development keys in ${dir} (first start only)`);
    await generateDevKeys(dir, { onProgress: (step) => say(`  ${step}`) });
  }
  if (!(await hasDevPki(dir))) {
    say(`generating the development mutual TLS PKI in ${dir}`);
    await generateDevPki(dir, { overwrite: true, onProgress: (step) => say(`  ${step}`) });
  }
  const merchantEncryption = await ensureEncryptionIdentity(dir, MERCHANT_ENCRYPTION_STEM, {
    onGenerate: (path) => say(`generating the demo merchant's encryption key and certificate (${path})`),
  });
  return { ...(await loadDevKeys(dir)), merchantEncryption };
}

/** The printable summary of a generated PKI: paths and certificate fingerprints. */
export function describeDevPki(summary: DevPkiSummary): string[] {
  const lines = [`development mutual TLS PKI written to ${summary.dir}`];
  for (const [role, entry] of Object.entries(summary.entries)) {
    lines.push(`  ${role}: ${entry.description}`);
    lines.push(`    certificate fingerprint: ${entry.certificateFingerprint}`);
    for (const [kind, path] of Object.entries(entry.files)) lines.push(`    ${kind}: ${path}`);
  }
  return lines;
}

/** The printable summary of a generated set: paths, fingerprints, the consumer key; never key material. */
export function describeDevKeys(summary: DevKeySummary): string[] {
  const lines = [`development keys written to ${summary.dir}`, `  consumer key: ${summary.consumerKey}`];
  for (const [role, entry] of Object.entries(summary.keys)) {
    lines.push(`  ${role}: ${entry.description}`);
    lines.push(`    public key fingerprint: ${entry.publicKeyFingerprint}`);
    if (entry.certificateFingerprint)
      lines.push(`    certificate fingerprint: ${entry.certificateFingerprint}`);
    for (const [kind, path] of Object.entries(entry.files)) lines.push(`    ${kind}: ${path}`);
  }
  return lines;
}
