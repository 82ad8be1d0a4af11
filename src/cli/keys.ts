import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * The development key set and the development mutual TLS PKI, generated on
 * first use so `npm start` needs no setup. The PKI is looked for apart: a
 * key set written before it existed gains one without losing its keys.
 */
export async function ensureDevKeys(config: Config, say: (line: string) => void): Promise<DevKeys> {
  const dir = devKeysDir(config);
  if (!existsSync(join(dir, MANIFEST))) {
    say(`generating development keys in ${dir} (first start only)`);
    await generateDevKeys(dir, { onProgress: (step) => say(`  ${step}`) });
  }
  if (!(await hasDevPki(dir))) {
    say(`generating the development mutual TLS PKI in ${dir}`);
    await generateDevPki(dir, { overwrite: true, onProgress: (step) => say(`  ${step}`) });
  }
  return loadDevKeys(dir);
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
