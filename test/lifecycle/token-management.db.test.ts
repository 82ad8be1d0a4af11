import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_SERVICE_PATHS } from '../../src/mastercard/customer-service/endpoints.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { registerClient } from '../../src/simulator/app.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { registerTokenManagement } from '../../src/simulator/token-management/register.js';
import { CUSTOMER_SERVICE_PREFIX } from '../../src/simulator/token-management/routes.js';
import type { TokenManagementSchema } from '../../src/simulator/token-management/tables.js';
import { recipient } from '../fixtures/encryption/keys.js';
import {
  account,
  type Harness,
  ISSUER_KEY,
  KEYS,
  PATHS,
  pushBody,
  startSimulator,
  tokenizeBody,
} from '../simulator/token-connect-harness.js';

const path = (operation: keyof typeof CUSTOMER_SERVICE_PATHS) =>
  `/mdes${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS[operation]}`;
const AUDIT = { UserId: 'A1435477', UserName: 'John Smith', Organization: 'Any Bank', Phone: '5555551234' };
/** A card in the same MDES account range as TEST_CARDS.credit (555555555), and one in another. */
const SAME_RANGE = '5555555551234561';
const OTHER_RANGE = TEST_CARDS.credit2.pan;

/** MDES Customer Service 2.0.7 on the simulator, in-process; notifications stay in the outbox to be read. */
describe('simulated MDES Customer Service', () => {
  let h: Harness;
  let reference: string;
  const db = () => h.database.db as Kysely<TokenManagementSchema>;
  const events = async () =>
    (
      await db()
        .selectFrom('mc_notifications')
        .select('body')
        .where('token_unique_reference', '=', reference)
        .where('message_type', '=', 'ISSUER_NOTIFY_TOKEN_UPDATED')
        .orderBy('seq')
        .execute()
    ).map(
      (row) =>
        JSON.parse(row.body) as {
          reasonCode: string;
          tokens: {
            tokenUniqueReference: string;
            status?: string;
            suspendedBy?: string[];
            tokenExpiry?: string;
          }[];
        },
    );
  const change = (
    operation: 'suspend' | 'unsuspend' | 'delete',
    extra: Record<string, unknown> = {},
    as: 'issuer' | 'merchant' = 'issuer',
  ) => {
    const wrapper = {
      suspend: 'TokenSuspendRequest',
      unsuspend: 'TokenUnsuspendRequest',
      delete: 'TokenDeleteRequest',
    }[operation];
    return h.call(
      'POST',
      path(operation),
      { [wrapper]: { TokenUniqueReference: reference, ReasonCode: 'Z', AuditInfo: AUDIT, ...extra } },
      { as },
    );
  };
  const search = async (criterion: Record<string, string>) =>
    (await h.call('POST', path('search'), { SearchRequest: { ...criterion, AuditInfo: AUDIT } })).json() as {
      SearchResponse: {
        Accounts: { Account: { AccountPanSuffix: string; Tokens: { Token: Record<string, unknown>[] } }[] };
      };
    };
  const tokenAtMdes = async () =>
    (await search({ TokenUniqueReference: reference })).SearchResponse.Accounts.Account[0]?.Tokens.Token[0];
  const firstError = (response: { json(): unknown }) =>
    (response.json() as { Errors: { Error: Record<string, unknown>[] } }).Errors.Error[0];

  beforeAll(async () => {
    // The issuer takes MDES's Pre-Digitization calls, but none reaches it here (the simulator has no client
    // certificate): MDES stands in with an approval, and each notification stays in the outbox to be read.
    h = await startSimulator({ background: false, authorizationStandIn: 'APPROVED' });
    await registerClient(h.database.db, {
      consumerKey: ISSUER_KEY,
      role: 'issuer',
      publicKey: KEYS.issuerSigning.publicKey,
      displayName: 'pushprov Bank',
      preDigitizationUrl: 'https://issuer.test/issuerServices/1/0',
      encryptionPublicKey: recipient.certificate,
    });
    await registerTokenManagement(h.app, { db: h.database.db, clock: h.clock });
    const push = await h.call('POST', PATHS.push, pushBody([account('pa-tm-1', TEST_CARDS.credit.pan)]));
    const receipt =
      (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
    const token = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
    reference = (token.json() as { tokenUniqueReference: string }).tokenUniqueReference;
  });
  afterAll(async () => h?.close());

  it('searches by token unique reference or by card number, answering last four digits only', async () => {
    const byReference = await h.call('POST', path('search'), {
      SearchRequest: { TokenUniqueReference: reference, AuditInfo: AUDIT },
    });
    expect(byReference.statusCode).toBe(200);
    expect(byReference.json()).toEqual({
      SearchResponse: {
        Accounts: {
          Account: [
            {
              AccountPanSuffix: TEST_CARDS.credit.pan.slice(-4),
              Tokens: {
                Token: [
                  {
                    TokenUniqueReference: reference,
                    TokenRequestorId: '50182375119',
                    TokenSuffix: expect.stringMatching(/^\d{4}$/),
                    ExpirationDate: expect.stringMatching(/^\d{4}$/),
                    CurrentStatusCode: 'A',
                    CurrentStatusDescription: 'Active',
                    CurrentStatusDateTime: expect.any(String),
                  },
                ],
              },
            },
          ],
        },
      },
    });
    expect(byReference.body).not.toContain(TEST_CARDS.credit.pan);
    expect(await search({ AccountPan: TEST_CARDS.credit.pan })).toEqual(byReference.json());
    // Nothing found is an empty list, not an error.
    expect(await search({ TokenUniqueReference: 'DWSPMC000000000unknown' })).toEqual({
      SearchResponse: { Accounts: { Account: [] } },
    });
    // Exactly one criterion.
    const both = await h.call('POST', path('search'), {
      SearchRequest: { TokenUniqueReference: reference, AccountPan: TEST_CARDS.credit.pan, AuditInfo: AUDIT },
    });
    expect(both.statusCode).toBe(400);
    expect(firstError(both)).toMatchObject({ ReasonCode: 'INVALID_FIELD_VALUE', Source: 'SearchRequest' });
  });

  it('refuses in its own envelope, by field, changing nothing: a token requestor, no AuditInfo, a reason code not listed, an unknown token, the old shape', async () => {
    const asMerchant = await change('suspend', {}, 'merchant');
    expect(firstError(asMerchant)).toMatchObject({
      ReasonCode: 'AUTHORIZATION_FAILED',
      Recoverable: 'false',
    });
    const cases: [Record<string, unknown>, number, string, string][] = [
      [
        { TokenSuspendRequest: { TokenUniqueReference: reference, ReasonCode: 'Z' } },
        400,
        'MISSING_REQUIRED_FIELD',
        'TokenSuspendRequest.AuditInfo',
      ],
      [
        { TokenSuspendRequest: { TokenUniqueReference: reference, ReasonCode: 'Q', AuditInfo: AUDIT } },
        400,
        'INVALID_FIELD_VALUE',
        'TokenSuspendRequest.ReasonCode',
      ],
      [
        {
          TokenSuspendRequest: {
            TokenUniqueReference: reference,
            ReasonCode: 'Z',
            AuditInfo: { UserId: 'x' },
          },
        },
        400,
        'MISSING_REQUIRED_FIELD',
        'TokenSuspendRequest.AuditInfo.UserName',
      ],
      [
        {
          TokenSuspendRequest: {
            TokenUniqueReference: 'DWSPMC000000000unknown',
            ReasonCode: 'Z',
            AuditInfo: AUDIT,
          },
        },
        404,
        'INVALID_FIELD_VALUE',
        'TokenSuspendRequest.TokenUniqueReference',
      ],
      [
        { requestId: 'r1', tokenUniqueReferences: [reference], causedBy: 'ISSUER' },
        400,
        'MISSING_REQUIRED_FIELD',
        'TokenSuspendRequest',
      ],
    ];
    for (const [body, status, reasonCode, source] of cases) {
      const refused = await h.call('POST', path('suspend'), body);
      expect(refused.statusCode, source).toBe(status);
      expect(firstError(refused), source).toMatchObject({
        ReasonCode: reasonCode,
        Source: source,
        Recoverable: 'false',
      });
    }
    const notJson = await h.call('POST', path('suspend'), undefined, { raw: '{"TokenSuspendRequest":' });
    expect(firstError(notJson)).toMatchObject({ ReasonCode: 'INVALID_JSON', Source: 'System' });
    expect(await tokenAtMdes()).toMatchObject({ CurrentStatusCode: 'A' });
    expect(await events()).toEqual([]);
  });

  it('suspends as the issuer (suspender I) once, and resumes, each with a Token Event Notification', async () => {
    const suspended = await change('suspend', { CommentText: 'Cardholder asked' });
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toEqual({
      TokenSuspendResponse: { Token: { TokenUniqueReference: reference, CommentId: expect.any(String) } },
    });
    expect(await tokenAtMdes()).toMatchObject({ CurrentStatusCode: 'S', Suspenders: { Suspender: ['I'] } });
    // Asking again changes nothing and announces nothing; the answer has no CommentId without a comment.
    expect((await change('suspend')).json()).toEqual({
      TokenSuspendResponse: { Token: { TokenUniqueReference: reference } },
    });
    expect((await change('unsuspend')).statusCode).toBe(200);
    expect(await tokenAtMdes()).toMatchObject({ CurrentStatusCode: 'A' });
    expect((await events()).map((e) => [e.reasonCode, e.tokens])).toEqual([
      ['STATUS_UPDATE', [{ tokenUniqueReference: reference, status: 'SUSPENDED', suspendedBy: ['ISSUER'] }]],
      ['STATUS_UPDATE', [{ tokenUniqueReference: reference, status: 'ACTIVE' }]],
    ]);
  });

  it('keeps a token suspended until its last suspender resumes it: the issuer removes only its own', async () => {
    // The token requestor suspended it (suspender W) through its own API.
    await db()
      .updateTable('mc_tokens')
      .set({ status: 'SUSPENDED', suspenders: 'W' })
      .where('token_unique_reference', '=', reference)
      .execute();
    await change('suspend');
    expect(await tokenAtMdes()).toMatchObject({
      CurrentStatusCode: 'S',
      Suspenders: { Suspender: ['I', 'W'] },
    });
    await change('unsuspend');
    expect(await tokenAtMdes()).toMatchObject({ CurrentStatusCode: 'S', Suspenders: { Suspender: ['W'] } });
    await db()
      .updateTable('mc_tokens')
      .set({ status: 'ACTIVE', suspenders: '' })
      .where('token_unique_reference', '=', reference)
      .execute();
  });

  it('moves the token to a replacement card in the same range: the full new number and expiry, each announced', async () => {
    const update = (over: Record<string, unknown>) =>
      h.call('POST', path('update'), {
        TokenUpdateRequest: { TokenUniqueReference: reference, AuditInfo: AUDIT, ...over },
      });
    const otherRange = await update({ NewAccountPan: OTHER_RANGE });
    expect(otherRange.statusCode).toBe(400);
    expect(firstError(otherRange)).toMatchObject({
      ReasonCode: 'INVALID_FIELD_VALUE',
      Source: 'TokenUpdateRequest.NewAccountPan',
    });
    expect(firstError(await update({ NewAccountPan: '5555555551234562' }))).toMatchObject({
      Source: 'TokenUpdateRequest.NewAccountPan',
    });
    expect(firstError(await update({}))).toMatchObject({ ReasonCode: 'MISSING_REQUIRED_FIELD' });

    const updated = await update({
      NewAccountPan: SAME_RANGE,
      ExpirationDate: '0931',
      AccountPanSequenceNumber: '01',
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({
      TokenUpdateResponse: { Tokens: { Token: [{ TokenUniqueReference: reference }] } },
    });
    // One Notify Token Updated: the same token now on the new card, its expiry; the numbers sealed.
    const last = (await events()).at(-1);
    expect(last).toEqual({
      requestId: expect.any(String),
      reasonCode: 'FUNDING_ACCOUNT_UPDATE',
      tokens: [{ tokenUniqueReference: reference, tokenExpiry: expect.stringMatching(/^\d{4}$/) }],
    });
    // The replaced number finds nothing; the new one finds the token.
    expect((await search({ AccountPan: TEST_CARDS.credit.pan })).SearchResponse.Accounts.Account).toEqual([]);
    expect(await search({ AccountPan: SAME_RANGE })).toMatchObject({
      SearchResponse: {
        Accounts: { Account: [{ AccountPanSuffix: SAME_RANGE.slice(-4), ExpirationDate: '0931' }] },
      },
    });
    expect(await tokenAtMdes()).toMatchObject({ AccountPanSequenceNumber: '01' });
    // Sent again, nothing changes and nothing is announced.
    const count = (await events()).length;
    await update({ NewAccountPan: SAME_RANGE, ExpirationDate: '0931' });
    expect(await events()).toHaveLength(count);
    // The number is kept sealed, never in a column in clear.
    const row = await db()
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', reference)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(SAME_RANGE);
    const outbox = await db().selectFrom('mc_notifications').selectAll().execute();
    expect(outbox.some((n) => n.payload_sealed !== null)).toBe(true);
    expect(JSON.stringify(outbox)).not.toContain(SAME_RANGE);
    expect(
      outbox.every(
        (n) =>
          !Buffer.from(n.payload_sealed ?? [])
            .toString('latin1')
            .includes('5399990'),
      ),
    ).toBe(true);
  });

  it('deletes the token for good (reason C), and tells its history with who acted and why', async () => {
    expect((await change('delete', { ReasonCode: 'C' })).json()).toEqual({
      TokenDeleteResponse: { Token: { TokenUniqueReference: reference } },
    });
    const afterDelete = await change('unsuspend');
    expect(afterDelete.statusCode).toBe(400);
    expect(firstError(afterDelete)).toMatchObject({ Source: 'TokenUnsuspendRequest.TokenUniqueReference' });
    expect(await tokenAtMdes()).toMatchObject({ CurrentStatusCode: 'D' });
    expect(await search({ TokenUniqueReference: reference, ExcludeDeletedIndicator: 'true' })).toEqual({
      SearchResponse: { Accounts: { Account: [] } },
    });
    expect((await events()).at(-1)?.tokens).toEqual([
      { tokenUniqueReference: reference, status: 'DEACTIVATED' },
    ]);

    const history = await h.call('POST', path('statusHistory'), {
      TokenStatusHistoryRequest: { TokenUniqueReference: reference, AuditInfo: AUDIT },
    });
    const statuses = (
      history.json() as { TokenStatusHistoryResponse: { Statuses: { Status: Record<string, unknown>[] } } }
    ).TokenStatusHistoryResponse.Statuses.Status;
    expect(statuses.map((s) => [s.StatusCode, s.Initiator, s.ReasonCode])).toEqual([
      ['A', 'W', undefined],
      ['S', 'I', 'Z'],
      ['A', 'I', 'Z'],
      ['S', 'I', 'Z'],
      ['S', 'I', 'Z'],
      ['D', 'I', 'C'],
    ]);
    expect(statuses[1]).toMatchObject({
      AuditInfo: AUDIT,
      StatusDescription: 'Suspended',
      CommentId: expect.any(String),
    });
  });
});
