import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { cardholderIdByExternalRef } from '../../store/auth/cardholder-refs.js';
import { PasswordStore } from '../../store/auth/passwords.js';
import { TotpStore } from '../../store/auth/totp.js';
import type { IssuerSchema } from '../../store/schema.js';
import type { Sealer } from '../../store/vault/sealer.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { normaliseUsername } from './sign-in.js';

/**
 * Demo sign-ins for the demo cardholders of `fixtures/demo-cards.json`: a
 * username and password, and a TOTP enrolment with a published base32 secret
 * so that a browser test, or a newcomer with any authenticator app, can
 * produce codes. For development and the simulator only: these secrets are
 * in the repository. Seeding again changes nothing unless the fixture did.
 */
export interface DemoCredential {
  username: string;
  password: string;
  totpSecret: string;
}

export interface DemoFixture {
  cardholders: { externalRef: string; demo?: DemoCredential }[];
}

export interface DemoCredentialsOptions {
  db: Kysely<IssuerSchema>;
  sealer: Sealer;
  clock: Clock;
  /**
   * The `chd_…` id of the cardholder imported with this external reference;
   * by default looked up in the cardholders table (so seed the cards first).
   */
  cardholderIdOf?: (externalRef: string) => Promise<string | undefined>;
  /** The fixture itself, or the path of its file; `fixtures/demo-cards.json` by default. */
  fixture?: DemoFixture | string;
}

export interface DemoCredentialsSummary {
  /** Usernames written (new, or changed in the fixture). */
  written: string[];
  unchanged: string[];
  /** External references of demo cardholders not imported (yet). */
  missing: string[];
}

export const DEMO_FIXTURE_PATH = new URL('../../../fixtures/demo-cards.json', import.meta.url);
const BASE32 = /^[A-Z2-7]{16,}$/;

export async function seedDemoCredentials(options: DemoCredentialsOptions): Promise<DemoCredentialsSummary> {
  const fixture =
    typeof options.fixture === 'object'
      ? options.fixture
      : await readFixture(options.fixture ?? DEMO_FIXTURE_PATH);
  const cardholderIdOf = options.cardholderIdOf ?? ((ref) => cardholderIdByExternalRef(options.db, ref));
  const passwords = new PasswordStore(options.db);
  const totp = new TotpStore(options.db, options.sealer);
  const summary: DemoCredentialsSummary = { written: [], unchanged: [], missing: [] };
  for (const { externalRef, demo } of fixture.cardholders) {
    if (!demo) continue;
    const cardholderId = await cardholderIdOf(externalRef);
    if (!cardholderId) {
      summary.missing.push(externalRef);
      continue;
    }
    const username = normaliseUsername(demo.username);
    const now = options.clock.now();
    let wrote = false;
    const existing = await passwords.find(username);
    if (
      existing?.cardholderId !== cardholderId ||
      !(await verifyPassword(demo.password, existing.passwordHash))
    ) {
      await passwords.put({ username, cardholderId, passwordHash: await hashPassword(demo.password) }, now);
      wrote = true;
    }
    const enrolment = await totp.find(cardholderId);
    if (enrolment?.secret !== demo.totpSecret || !enrolment.confirmedAt) {
      await totp.put(cardholderId, demo.totpSecret, now, now);
      wrote = true;
    }
    (wrote ? summary.written : summary.unchanged).push(username);
  }
  return summary;
}

async function readFixture(path: string | URL): Promise<DemoFixture> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  const problems: string[] = [];
  const list = (parsed as { cardholders?: unknown } | null)?.cardholders;
  if (!Array.isArray(list))
    throw new ValidationError('DEMO_FIXTURE_INVALID', 'demo fixture: expected cardholders[]');
  list.forEach((entry: unknown, i) => {
    const e = entry as {
      externalRef?: unknown;
      demo?: Partial<Record<keyof DemoCredential, unknown>>;
    } | null;
    if (typeof e?.externalRef !== 'string') problems.push(`cardholders[${i}].externalRef`);
    if (e?.demo === undefined) return;
    if (typeof e.demo.username !== 'string' || e.demo.username.trim() === '')
      problems.push(`cardholders[${i}].demo.username`);
    if (typeof e.demo.password !== 'string' || e.demo.password === '')
      problems.push(`cardholders[${i}].demo.password`);
    if (typeof e.demo.totpSecret !== 'string' || !BASE32.test(e.demo.totpSecret))
      problems.push(`cardholders[${i}].demo.totpSecret (base32, 16+ characters)`);
  });
  if (problems.length > 0) {
    throw new ValidationError('DEMO_FIXTURE_INVALID', `demo fixture: invalid ${problems.join(', ')}`);
  }
  return parsed as DemoFixture;
}
