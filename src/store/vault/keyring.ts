import { createHash, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { publishOnce, writeAtomically } from '../../core/publish-file.js';
import { KEY_BYTES, MAX_KEK_ID_BYTES } from './format.js';

/**
 * The vault's keys: several key-encryption keys (KEKs), one of them active
 * for sealing, all of them usable for opening, plus the blind-index key.
 * The index key is not a KEK and never rotates with them: every stored
 * index would have to be recomputed from clear values.
 *
 * Loaded once at start-up from a keyring file (`PUSHPROV_VAULT_KEYRING`)
 * and/or one KEK in the environment (`PUSHPROV_VAULT_KEK`); rotation writes
 * the file, so a deployment that rotates keeps its keyring in a file.
 */
export const KEYRING_ENV = 'PUSHPROV_VAULT_KEYRING';
export const KEK_ENV = 'PUSHPROV_VAULT_KEK';

export interface Kek {
  id: string;
  key: KeyObject;
  createdAt: string | undefined;
}

export class Keyring {
  readonly #keks: ReadonlyMap<string, Kek>;

  constructor(
    keks: readonly Kek[],
    readonly activeId: string,
    readonly indexKey: KeyObject,
  ) {
    this.#keks = new Map(keks.map((k) => [k.id, k]));
    if (!this.#keks.has(activeId)) throw new ConfigError([`active key ${activeId} is not in the keyring`]);
  }

  get active(): Kek {
    return this.#keks.get(this.activeId)!;
  }

  get(id: string): Kek | undefined {
    return this.#keks.get(id);
  }

  get ids(): string[] {
    return [...this.#keks.keys()];
  }

  get keks(): Kek[] {
    return [...this.#keks.values()];
  }

  /** A brand-new keyring: one KEK and an index key. */
  static generate(now: Date): Keyring {
    const kek = freshKek(now);
    return new Keyring([kek], kek.id, createSecretKey(randomBytes(KEY_BYTES)));
  }

  /** A new keyring with a fresh KEK added and made active. */
  withNewActiveKek(now: Date): Keyring {
    const kek = freshKek(now);
    return new Keyring([...this.keks, kek], kek.id, this.indexKey);
  }

  /** A new keyring without the given (inactive) KEKs. */
  without(ids: readonly string[]): Keyring {
    if (ids.includes(this.activeId))
      throw new ConfigError([`the active key ${this.activeId} cannot be retired`]);
    return new Keyring(
      this.keks.filter((k) => !ids.includes(k.id)),
      this.activeId,
      this.indexKey,
    );
  }
}

const freshKek = (now: Date): Kek => ({
  id: newId('kek'),
  key: createSecretKey(randomBytes(KEY_BYTES)),
  createdAt: now.toISOString(),
});

/** Where the keyring comes from; the CLI derives it from the configuration. */
export interface KeyringSource {
  /** Path of the keyring file. */
  path?: string;
  /** One KEK, base64 of 32 bytes. */
  kek?: string;
  /** Create the file at `path` when it does not exist (development only). */
  createIfMissing?: boolean;
  now?: Date;
}

/** Decodes base64 (or base64url) of exactly 32 bytes; undefined otherwise. */
export function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text.trim())) return undefined;
  const bytes = Buffer.from(text.trim(), 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}

const KEY_PROBLEM = 'expected base64 of 32 bytes';

/**
 * The keyring named by the source, validated: throws one ConfigError that
 * names every bad value (never showing key material).
 */
export function loadKeyring(source: KeyringSource): Keyring {
  const problems: string[] = [];
  const envKek = source.kek === undefined ? undefined : kekFromEnv(source.kek, problems);
  let keyring: Keyring | undefined;
  if (source.path !== undefined && existsSync(source.path)) {
    keyring = readKeyringFile(source.path, envKek, problems);
  } else if (source.path !== undefined && source.createIfMissing && envKek === undefined) {
    const generated = Keyring.generate(source.now ?? new Date());
    // Instances started together each generate one; only the first is kept,
    // and the others use it, so no card is ever sealed under a key they lack.
    keyring = publishOnce(source.path, keyringFileText(generated))
      ? generated
      : readKeyringFile(source.path, undefined, problems);
  } else if (envKek !== undefined) {
    keyring = envOnlyKeyring(envKek);
  } else if (source.path !== undefined) {
    problems.push(`${KEYRING_ENV}=${JSON.stringify(source.path)}: file not found`);
  } else if (source.kek === undefined) {
    problems.push(`${KEYRING_ENV} or ${KEK_ENV}: a vault key is required outside the simulator`);
  }
  if (problems.length > 0 || keyring === undefined) throw new ConfigError(problems);
  return keyring;
}

// A KEK given alone is named after its fingerprint, so its id is the same on
// every start and on every server that shares it.
function kekFromEnv(text: string, problems: string[]): Kek | undefined {
  const bytes = decodeKey(text);
  if (!bytes) {
    problems.push(`${KEK_ENV}=(hidden): ${KEY_PROBLEM}`);
    return undefined;
  }
  const fingerprint = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return { id: `kek_env_${fingerprint}`, key: createSecretKey(bytes), createdAt: undefined };
}

// With no file there is nowhere to keep an index key, so it is derived from
// the KEK; rotation writes it into the new keyring file so indexes stay valid.
function envOnlyKeyring(kek: Kek): Keyring {
  const indexKey = Buffer.from(
    hkdfSync('sha256', kek.key.export(), Buffer.alloc(0), 'pushprov/vault/blind-index/v1', KEY_BYTES),
  );
  return new Keyring([kek], kek.id, createSecretKey(indexKey));
}

interface KeyringFileJson {
  version: 1;
  active: string;
  indexKey: string;
  keys: { id: string; key: string; createdAt?: string }[];
}

function readKeyringFile(path: string, envKek: Kek | undefined, problems: string[]): Keyring | undefined {
  const where = `${KEYRING_ENV}=${JSON.stringify(path)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    problems.push(`${where}: not a readable JSON file`);
    return undefined;
  }
  const before = problems.length;
  const say = (problem: string) => problems.push(`${where}: ${problem}`);
  const file = (parsed ?? {}) as Partial<Record<keyof KeyringFileJson, unknown>>;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    say('expected a JSON object');
    return undefined;
  }
  if (file.version !== 1) say('version: expected 1');
  const indexKey = typeof file.indexKey === 'string' ? decodeKey(file.indexKey) : undefined;
  if (!indexKey) say(`indexKey: ${KEY_PROBLEM}`);
  const keks: Kek[] = [];
  if (!Array.isArray(file.keys) || file.keys.length === 0) say('keys: expected a non-empty array');
  else {
    file.keys.forEach((entry: unknown, i) => {
      const k = (entry ?? {}) as Record<string, unknown>;
      const id = k.id;
      if (typeof id !== 'string' || !/^[\w.-]+$/.test(id) || id.length > MAX_KEK_ID_BYTES) {
        say(`keys[${i}].id: expected 1–${MAX_KEK_ID_BYTES} letters, digits, '_', '.' or '-'`);
        return;
      }
      if (keks.some((other) => other.id === id)) say(`keys[${i}].id: ${id} appears twice`);
      const bytes = typeof k.key === 'string' ? decodeKey(k.key) : undefined;
      if (!bytes) say(`keys[${i}].key: ${KEY_PROBLEM}`);
      else
        keks.push({
          id,
          key: createSecretKey(bytes),
          createdAt: typeof k.createdAt === 'string' ? k.createdAt : undefined,
        });
    });
  }
  if (typeof file.active !== 'string' || !keks.some((k) => k.id === file.active)) {
    say('active: expected the id of one of keys');
  }
  if (envKek) {
    const same = keks.find((k) => k.id === envKek.id);
    if (same && !same.key.equals(envKek.key)) say(`keys: ${envKek.id} differs from ${KEK_ENV}`);
    else if (!same) keks.push(envKek);
  }
  if (problems.length > before || !indexKey) return undefined;
  return new Keyring(keks, file.active as string, createSecretKey(indexKey));
}

/** Replaces the keyring file (rotation), atomically. */
export function writeKeyringFile(path: string, keyring: Keyring): void {
  writeAtomically(path, keyringFileText(keyring));
}

function keyringFileText(keyring: Keyring): string {
  const json: KeyringFileJson = {
    version: 1,
    active: keyring.activeId,
    indexKey: keyring.indexKey.export().toString('base64'),
    keys: keyring.keks.map((k) => ({
      id: k.id,
      key: k.key.export().toString('base64'),
      ...(k.createdAt ? { createdAt: k.createdAt } : {}),
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
