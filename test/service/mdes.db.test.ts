import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import type { MdesNotification } from '../../src/mastercard/mdes/messages.js';
import { DatabaseNonceStore } from '../../src/mastercard/oauth/database-nonce-store.js';
import { MdesNotificationService, type TokenLifecycle } from '../../src/service/mdes/notifications.js';
import { MdesNotificationLog } from '../../src/store/mdes/notifications.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { testDatabase } from '../support/database.js';

let database: Database<unknown>;
let db: IssuerDb;
const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
const tokenCreated = vi.fn<TokenLifecycle['tokenCreated']>();
let service: MdesNotificationService;

beforeAll(async () => {
  database = await testDatabase();
  db = await prepareIssuerStore(database.db);
  service = new MdesNotificationService({
    log: new MdesNotificationLog(db),
    tokens: { tokenCreated },
    clock,
  });
});
afterAll(async () => database.close());
beforeEach(() => {
  tokenCreated.mockReset();
  tokenCreated.mockResolvedValue(true);
});

let n = 0;
const notification = (token: Partial<MdesNotification['token']> = {}): MdesNotification => ({
  notificationId: `ntf_service${++n}`,
  messageType: 'TOKENIZATION_COMPLETE_NOTIFICATION',
  timestamp: '2026-11-25T09:59:00.000Z',
  token: {
    tokenUniqueReference: `DWSPMC${n}`,
    tokenRequestorId: '50123197928',
    tokenPanSuffix: '1234',
    accountPanSuffix: '4444',
    pushAccountId: `pa-${n}`,
    ...token,
  },
});

const outcomeOf = async (notificationId: string) =>
  (await new MdesNotificationLog(db).find(notificationId))?.outcome;

describe('MdesNotificationService', () => {
  it('hands a Tokenization Complete to the token lifecycle and records the outcome with its times', async () => {
    const message = notification();
    clock.advance(1_000);
    expect(await service.receive(message)).toEqual({
      notificationId: message.notificationId,
      status: 'ACCEPTED',
      duplicate: false,
      outcome: 'matched',
    });
    expect(tokenCreated).toHaveBeenCalledExactlyOnceWith(
      expect.objectContaining({
        pushAccountId: message.token.pushAccountId,
        tokenRequestorId: '50123197928',
        tokenUniqueReference: message.token.tokenUniqueReference,
      }),
    );
    expect(await new MdesNotificationLog(db).find(message.notificationId)).toMatchObject({
      occurredAt: new Date('2026-11-25T09:59:00.000Z'),
      receivedAt: clock.now(),
    });
  });

  it('records a token that is not from one of its pushes as unmatched, asking only when there is a pushAccountId', async () => {
    tokenCreated.mockResolvedValue(false);
    const notOurs = notification();
    expect((await service.receive(notOurs)).outcome).toBe('unmatched');
    expect(tokenCreated).toHaveBeenCalledTimes(1);

    const { pushAccountId: _none, ...token } = notification().token;
    const elsewhere = { ...notification(), token };
    expect((await service.receive(elsewhere)).outcome).toBe('unmatched');
    expect(tokenCreated).toHaveBeenCalledTimes(1);
    expect(await outcomeOf(elsewhere.notificationId)).toBe('unmatched');
  });

  it('acknowledges a notificationId seen before with its first outcome, without acting again', async () => {
    const message = notification();
    await service.receive(message);
    tokenCreated.mockResolvedValue(false);
    expect(await service.receive(message)).toMatchObject({ duplicate: true, outcome: 'matched' });
    expect(tokenCreated).toHaveBeenCalledTimes(1);
  });

  it('records nothing when acting fails, so that the redelivery acts again', async () => {
    const message = notification();
    tokenCreated.mockRejectedValueOnce(new Error('database unavailable'));
    await expect(service.receive(message)).rejects.toThrow('database unavailable');
    expect(await outcomeOf(message.notificationId)).toBeUndefined();
    expect(await service.receive(message)).toMatchObject({ duplicate: false, outcome: 'matched' });
    expect(tokenCreated).toHaveBeenCalledTimes(2);
  });

  it('records two concurrent deliveries of one notification once', async () => {
    const message = notification();
    const answers = await Promise.all([service.receive(message), service.receive(message)]);
    expect(answers.map((a) => a.duplicate).sort()).toEqual([false, true]);
    const rows = await sql<{
      n: number;
    }>`select count(*) as n from mdes_notifications where notification_id = ${message.notificationId}`.execute(
      db,
    );
    expect(rows.rows[0]!.n).toBe(1);
  });
});

describe("the issuer's nonce table for MDES's signatures", () => {
  it('remembers a nonce per consumer key until it expires, then lets it be taken again', async () => {
    const store = new DatabaseNonceStore(db, 'mdes_oauth_nonces', clock);
    const expiry = new Date(clock.now().getTime() + 601_000);
    expect(await store.remember('mastercard-mdes', 'nonce-1', expiry)).toBe(true);
    expect(await store.remember('mastercard-mdes', 'nonce-1', expiry)).toBe(false);
    expect(await store.remember('another-key', 'nonce-1', expiry)).toBe(true);
    // Another process on the same database sees it too.
    expect(
      await new DatabaseNonceStore(db, 'mdes_oauth_nonces', clock).remember(
        'mastercard-mdes',
        'nonce-1',
        expiry,
      ),
    ).toBe(false);

    clock.advance(601_000);
    expect(
      await store.remember('mastercard-mdes', 'nonce-1', new Date(clock.now().getTime() + 601_000)),
    ).toBe(true);
  });

  it('purges expired nonces as time passes', async () => {
    const store = new DatabaseNonceStore(db, 'mdes_oauth_nonces', clock);
    await store.remember('mastercard-mdes', 'short-lived', new Date(clock.now().getTime() + 1_000));
    clock.advance(120_000);
    await store.remember('mastercard-mdes', 'later', new Date(clock.now().getTime() + 601_000));
    const left = await db
      .selectFrom('mdes_oauth_nonces')
      .select('nonce')
      .where('nonce', '=', 'short-lived')
      .execute();
    expect(left).toEqual([]);
  });
});
