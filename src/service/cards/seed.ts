import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConflictError } from '../../core/errors.js';
import type { CardService, ImportSummary } from './cards.js';

/**
 * The demo cardholders and cards (Mastercard test card numbers only): eligible
 * cards in several served countries, one from a country pushprov does not
 * serve, one expired, one blocked. Imported on every start in simulator mode;
 * the import is idempotent, so only the first start changes anything. Each
 * cardholder's `demo` sign-in is the auth service's to seed
 * (`seedDemoCredentials`); the import ignores it.
 */
export const DEMO_CARDS_FILE = fileURLToPath(new URL('../../../fixtures/demo-cards.json', import.meta.url));

export async function seedDemoData(cards: CardService, file = DEMO_CARDS_FILE): Promise<ImportSummary> {
  const fixture: unknown = JSON.parse(await readFile(file, 'utf8'));
  // Instances started together seed at once; the loser of a race runs again and finds the winner's records.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await cards.importCards(fixture, { actor: 'seed' });
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'IMPORT_CONFLICT') || attempt === SEED_ATTEMPTS)
        throw error;
    }
  }
}

const SEED_ATTEMPTS = 5;
