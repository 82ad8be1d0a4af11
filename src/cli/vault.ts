import type { Command } from 'commander';
import type { Config } from '../app/config.js';
import { hsmKekFor } from '../app/hsm.js';
import { keyringSource, openVault } from '../app/vault.js';
import { systemClock } from '../core/clock.js';
import { openDatabase } from '../core/db.js';
import { ConfigError } from '../core/errors.js';
import { isPkcs11Uri } from '../core/hsm/uri.js';
import { type IssuerDb, prepareIssuerStore } from '../store/store.js';
import { hsmKek, KEYRING_ENV } from '../store/vault/keyring.js';
import { type RewrapProgress, retireKeys, rotateKeys } from '../store/vault/rotation.js';
import type { Vault } from '../store/vault/vault.js';
import { databaseTarget } from './start.js';

/**
 * The `pushprov keys rotate` / `retire` commands, on the vault the
 * configuration describes (src/app/vault.ts).
 */

/** Runs `work` on the migrated issuer database with the vault unlocked, then closes the database. */
export async function withIssuerStore<T>(
  config: Config,
  work: (db: IssuerDb, vault: Vault) => Promise<T>,
): Promise<T> {
  const vault = openVault(config);
  const database = await openDatabase<unknown>(databaseTarget(config));
  try {
    return await work(await prepareIssuerStore(database.db), vault);
  } finally {
    await database.close();
  }
}

function writableKeyring(config: Config): string {
  const { path } = keyringSource(config);
  if (path === undefined) {
    throw new ConfigError([`${KEYRING_ENV}: set it to the file the rotated keyring is written to`]);
  }
  return path;
}

const progressLine =
  (say: (line: string) => void) =>
  ({ table, column, done, total }: RewrapProgress) =>
    say(`… ${table}.${column}: ${done}/${total}`);

function describeCounts(counts: Map<string, number>, activeId: string, known: readonly string[]): string[] {
  const lines = ['sealed values by key:'];
  const ids = new Set([...known, ...counts.keys()]);
  for (const id of [...ids].sort((a, b) => (a === activeId ? -1 : b === activeId ? 1 : a.localeCompare(b)))) {
    const n = counts.get(id) ?? 0;
    const note =
      id === activeId
        ? ' (active)'
        : id === 'other'
          ? ' (not vault values)'
          : !known.includes(id)
            ? ' (NOT IN THE KEYRING: these values cannot be opened)'
            : n === 0
              ? ' (unused: `pushprov keys retire` once every server has restarted)'
              : ' (run `pushprov keys rotate --resume` again after restarting the servers)';
    lines.push(`  ${id}: ${n}${note}`);
  }
  return lines;
}

export function registerVaultCommands(keys: Command, configOrExit: () => Config): void {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const batchSize = (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigError([`--batch-size ${raw}: expected a positive integer`]);
    return n;
  };

  keys
    .command('rotate')
    .description(
      'make a new vault key-encryption key active and re-wrap every sealed value under it, in batches',
    )
    .option('--resume', 'finish an interrupted rotation under the current active key (no new key)')
    .option('--to <pkcs11-uri>', 'make this AES-256 key in the HSM the active key instead of a new file key')
    .option('--batch-size <n>', 'values re-wrapped per transaction', batchSize, 500)
    .action(async (options: { resume?: boolean; to?: string; batchSize: number }) => {
      const config = configOrExit();
      const keyringPath = writableKeyring(config);
      if (options.to !== undefined && !isPkcs11Uri(options.to)) {
        throw new ConfigError([`--to ${options.to.split('?')[0]}: expected a pkcs11: URI`]);
      }
      const kek =
        options.to === undefined
          ? undefined
          : hsmKek(options.to, hsmKekFor(config), systemClock.now().toISOString());
      await withIssuerStore(config, async (db, vault) => {
        const result = await rotateKeys(db, vault, {
          keyringPath,
          now: systemClock.now(),
          resume: options.resume === true,
          ...(kek && { kek }),
          batchSize: options.batchSize,
          onProgress: progressLine(say),
        });
        if (result.created) say(`new vault key ${result.activeId} is active (written to ${keyringPath})`);
        const { rewrapped, skipped, failed } = result.report;
        say(`re-wrapped ${rewrapped} sealed values; ${skipped} changed meanwhile (already sealed afresh)`);
        for (const f of failed)
          say(`  could not re-wrap ${f.count} in ${f.table}.${f.column}: ${f.codes.join(', ')}`);
        for (const line of describeCounts(result.remaining, result.activeId, vault.keyring.ids)) say(line);
        if (result.created) say(`restart the servers so they seal with ${result.activeId} too`);
      });
    });

  keys
    .command('retire')
    .description('remove from the keyring every inactive vault key no sealed value uses any more')
    .option('--batch-size <n>', 'values re-wrapped per transaction', batchSize, 500)
    .action(async (options: { batchSize: number }) => {
      const config = configOrExit();
      const keyringPath = writableKeyring(config);
      await withIssuerStore(config, async (db, vault) => {
        const { retired, kept } = await retireKeys(db, vault, {
          keyringPath,
          batchSize: options.batchSize,
          onProgress: progressLine(say),
        });
        say(retired.length > 0 ? `retired ${retired.join(', ')} from ${keyringPath}` : 'no key to retire');
        if (retired.some((id) => id.startsWith('kek_env_'))) {
          say('  unset PUSHPROV_VAULT_KEK too, or that key is added back on the next start');
        }
        for (const line of describeCounts(kept, vault.keyring.activeId, vault.keyring.ids)) say(line);
      });
    });
}
