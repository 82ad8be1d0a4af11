import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../core/errors.js';
import type { CardService, ImportSummary } from './cards.js';

/**
 * The demo cardholders and cards (Mastercard test card numbers only): eligible
 * cards in several served countries, one from a country pushprov does not
 * serve, one expired, one blocked. Imported on every start in simulator mode;
 * the import is idempotent, so only the first start changes anything. Each
 * cardholder's `demo` sign-in is the auth service's to seed
 * (`seedDemoCredentials`), not part of the import format.
 */
export const DEMO_CARDS_FILE = fileURLToPath(new URL('../../../fixtures/demo-cards.json', import.meta.url));

export async function seedDemoData(cards: CardService, file = DEMO_CARDS_FILE): Promise<ImportSummary> {
  const fixture: unknown = JSON.parse(await readFile(file, 'utf8'));
  const list = (fixture as { cardholders?: unknown } | null)?.cardholders;
  if (!Array.isArray(list))
    throw new ValidationError('DEMO_FIXTURE_INVALID', 'demo fixture: expected cardholders[]');
  const cardholders = list.map((entry: unknown) => {
    if (entry === null || typeof entry !== 'object') return entry;
    const { demo: _signIn, ...cardholder } = entry as Record<string, unknown>;
    return cardholder;
  });
  return cards.importCards({ cardholders }, { actor: 'seed' });
}
