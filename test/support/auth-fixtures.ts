import { randomBytes } from 'node:crypto';
import { PushprovError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import type { IssuerDb } from '../../src/store/store.js';

/**
 * A bare cardholder row for tests about authentication, which only needs the
 * id to exist (the profile and indexes are placeholders, not vault output).
 */
export async function insertCardholder(db: IssuerDb, id = newId('chd')): Promise<string> {
  const now = new Date();
  await db
    .insertInto('cardholders')
    .values({
      id,
      external_ref: `test-${id}`,
      profile_sealed: randomBytes(16),
      email_index: randomBytes(32),
      phone_index: randomBytes(32),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** The PushprovError a promise rejects with, to assert its code and status together. */
export async function refusal(promise: Promise<unknown>): Promise<PushprovError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PushprovError)) throw new Error(`expected a PushprovError, got ${String(error)}`);
  return error;
}
