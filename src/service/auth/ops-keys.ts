import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishOnce } from '../../core/publish-file.js';
import { newSecretToken, tokenDigest } from '../../store/auth/tokens.js';

/**
 * Ops API keys. The configuration holds each key either as itself or, better,
 * as `sha256:<hex digest>` so the configuration does not hold the key at all;
 * a presented key is digested and compared in constant time with every
 * configured digest. In development a key is generated once under
 * `<dataDir>/keys/ops-api-key` (mode 0600) and shown once by the CLI.
 */
export const OPS_KEY_PREFIX = 'ppo';
const DIGEST = /^sha256:([0-9a-f]{64})$/i;

export class OpsKeys {
  readonly #digests: Buffer[];

  private constructor(digests: Buffer[]) {
    this.#digests = digests;
  }

  /** From configured entries: raw keys or `sha256:<hex>` digests. */
  static from(entries: readonly string[]): OpsKeys {
    return new OpsKeys(
      entries.map((entry) => {
        const digest = DIGEST.exec(entry.trim())?.[1] ?? tokenDigest(entry.trim());
        return Buffer.from(digest.toLowerCase(), 'hex');
      }),
    );
  }

  get size(): number {
    return this.#digests.length;
  }

  /**
   * The id of the configured key the presented one matches (the first 12 hex
   * digits of its digest: enough to tell keys apart in logs and audit
   * entries, useless to an attacker), or undefined.
   */
  match(presented: string): string | undefined {
    const digest = Buffer.from(tokenDigest(presented), 'hex');
    // Compare with every key so the time taken does not say which one matched.
    let found: Buffer | undefined;
    for (const d of this.#digests) if (timingSafeEqual(d, digest)) found = d;
    return found?.toString('hex').slice(0, 12);
  }
}

export const newOpsApiKey = (): string => newSecretToken(OPS_KEY_PREFIX);

export interface DevelopmentOpsKey {
  key: string;
  path: string;
  /** True the first time: the caller shows the key then, and only then. */
  created: boolean;
}

/** The development ops key under `<dataDir>/keys/ops-api-key`, created on first use. */
export function developmentOpsKey(dataDir: string): DevelopmentOpsKey {
  const path = join(dataDir, 'keys', 'ops-api-key');
  const existing = (): DevelopmentOpsKey => ({
    key: readFileSync(path, 'utf8').trim(),
    path,
    created: false,
  });
  if (existsSync(path)) return existing();
  const key = newOpsApiKey();
  // Instances started together: one key is kept, and each shows it only if it is theirs.
  return publishOnce(path, `${key}\n`) ? { key, path, created: true } : existing();
}

/**
 * The ops keys to accept: the configured ones; in development with none
 * configured, the generated development key; otherwise none (the ops API
 * then refuses everyone, which is the safe failure).
 */
export function resolveOpsKeys(options: {
  configured: readonly string[] | undefined;
  dataDir: string;
  development: boolean;
}): { keys: OpsKeys; development?: DevelopmentOpsKey } {
  if (options.configured && options.configured.length > 0) return { keys: OpsKeys.from(options.configured) };
  if (!options.development) return { keys: OpsKeys.from([]) };
  const development = developmentOpsKey(options.dataDir);
  return { keys: OpsKeys.from([development.key]), development };
}
