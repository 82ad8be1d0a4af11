import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../app/config.js';
import { systemClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { CardService, type Counts, type ImportSummary } from '../service/cards/cards.js';
import type { ImportProblem } from '../service/cards/validate.js';
import { AuditLog } from '../store/audit.js';
import { CardholderCardRepository } from '../store/cards/cardholder-cards.js';
import type { IssuerDb } from '../store/store.js';
import type { Vault } from '../store/vault/vault.js';
import { withIssuerStore } from './vault.js';

/** `pushprov cards import FILE`: the ops import from a file, with progress and a summary. */
const cardService = (db: IssuerDb, vault: Vault): CardService =>
  new CardService({
    db,
    store: new CardholderCardRepository(db, vault),
    audit: new AuditLog(db, systemClock),
    clock: systemClock,
  });

const counts = (c: Counts) => `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;

const describeImport = (s: ImportSummary): string =>
  `cardholders ${counts(s.cardholders)}; cards ${counts(s.cards)}`;

/** One line per tenth of the way on a pipe; one line rewritten in place on a terminal. */
function progress(write: (text: string) => void, tty: boolean) {
  let lastTenth = -1;
  return (done: number, total: number) => {
    if (tty) {
      write(`\r… ${done}/${total} cardholders${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth || done === total) write(`… ${done}/${total} cardholders\n`);
    lastTenth = tenth;
  };
}

export function registerCardCommands(program: Command, configOrExit: () => Config): void {
  const cards = program.command('cards').description('cardholders and cards');
  cards
    .command('import <file>')
    .description(
      'import cardholders and cards from a JSON file: all or nothing, idempotent by external references',
    )
    .action(async (file: string) => {
      const config = configOrExit();
      let input: unknown;
      try {
        input = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        throw new ValidationError('IMPORT_FILE_UNREADABLE', `${file} is not a readable JSON file`);
      }
      const summary = await withIssuerStore(config, (db, vault) =>
        cardService(db, vault)
          .importCards(input, {
            actor: 'cli',
            onProgress: progress((t) => process.stdout.write(t), process.stdout.isTTY === true),
          })
          .catch((error: unknown) => {
            const problems = (error as ValidationError).details?.problems as ImportProblem[] | undefined;
            if (error instanceof ValidationError && problems) {
              for (const p of problems) process.stderr.write(`  ${p.path}: ${p.code}: ${p.message}\n`);
            }
            throw error;
          }),
      );
      process.stdout.write(`imported ${file}: ${describeImport(summary)}\n`);
    });
}
