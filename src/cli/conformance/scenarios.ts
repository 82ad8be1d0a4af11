import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { CustomerServiceOperation } from '../../mastercard/customer-service/endpoints.js';
import { OAuthSigner } from '../../mastercard/oauth/signer.js';
import type { PushMultipleAccountsInput } from '../../mastercard/token-connect/client.js';
import { TOKEN_CONNECT_PATHS } from '../../mastercard/token-connect/endpoints.js';
import {
  ACCOUNT_HOLDER_DATA_FIELDS,
  AssetResponseSchema,
  accountHolderFieldOf,
  GetEligibleTokenRequestorsResponseSchema,
  IssuerInitiatedDigitizationDataSchema,
  LENGTHS,
  MAX_ACCOUNT_RANGES,
  MAX_RECEIPTS_PER_PUSH,
  PushAccountResponseSchema,
  RECEIPT_VALIDITY_MINUTES,
} from '../../mastercard/token-connect/schemas.js';
import type {
  AccountHolder,
  PushMultipleAccountsResponse,
  PushMultipleFundingAccount,
  TokenConnectOperation,
} from '../../mastercard/token-connect/types.js';
import type { RECEIPT_REASON_CODES } from '../../simulator/token-connect/failure.js';
import {
  check,
  checkReceipt,
  conforms,
  expectRefusal,
  isRecord,
  refusalFrom,
  refusalOf,
  sameJson,
} from './checks.js';
import type { HttpAnswer, ScenarioContext } from './context.js';
import { CUSTOMER_SERVICE_SCENARIOS } from './customer-service-scenarios.js';
import { HANDOVER_SCENARIOS } from './handover-scenarios.js';
import { CALLBACK_URL, push, reasons, receiptsOf } from './pushes.js';

/**
 * The conformance scenarios: docs/mastercard/token-connect.md §7, one entry
 * per numbered item, each driving pushprov's own TokenConnectClient (signed
 * and encrypted as the issuer uses it) and checking the documented outcome.
 * Where that client refuses the input before sending it, the scenario sends
 * a raw request, signed and encrypted the same way, so that the target's
 * answer is what is checked.
 */

/** What a scenario needs beyond the issuer's keys; without it the runner skips the scenario. */
export type Capability =
  | 'tokenRequestor'
  | 'clock'
  | 'tokenRequestorPages'
  | 'pushSigningKey'
  | 'issuerToken';

export interface Scenario {
  readonly number: number;
  readonly operation: TokenConnectOperation | CustomerServiceOperation;
  /** A row of Mastercard's testing page, or pushprov's reading of the spec (doc §7's legend). */
  readonly source: 'page' | 'spec';
  readonly name: string;
  readonly needs?: readonly Capability[];
  /** Absent when the scenario could not be read: listed, never invented. */
  readonly run?: (ctx: ScenarioContext) => Promise<void>;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The tokenize refusals the simulator documents (docs/simulator.md); Mastercard's names are not known. */
type ReceiptRefusal = keyof typeof RECEIPT_REASON_CODES;
const EXPIRED: ReceiptRefusal = 'PUSH_ACCOUNT_RECEIPT_EXPIRED';
const ALREADY_USED: ReceiptRefusal = 'PUSH_ACCOUNT_RECEIPT_ALREADY_USED';

// --- getEligibleTokenRequestors -------------------------------------------------------------

const eligibleRefusal = async (ctx: ScenarioContext, body: Record<string, unknown>) =>
  refusalOf(await ctx.request('POST', TOKEN_CONNECT_PATHS.getEligibleTokenRequestors, { json: body }));

const padded = (range: string): string => range.padEnd(19, '0');

// --- pushMultipleAccounts -------------------------------------------------------------------

/** A pushMultipleAccounts body as pushprov's client would build it, with whatever the scenario changes. */
function pushBody(
  ctx: ScenarioContext,
  accounts: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    requestId: randomUUID(),
    tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
    pushFundingAccounts: { encryptedPayload: ctx.encrypter.encrypt(JSON.stringify(accounts)) },
    ...extra,
  };
}

const pushRefusal = async (ctx: ScenarioContext, body: Record<string, unknown>) =>
  refusalOf(await ctx.request('POST', TOKEN_CONNECT_PATHS.pushMultipleAccounts, { json: body }));

/** One card (a credit card by default) pushed to the token requestor whose key redeems receipts. */
async function pushForRedemption(
  ctx: ScenarioContext,
  {
    account,
    ...extra
  }: Partial<Omit<PushMultipleAccountsInput, 'accounts'>> & { account?: PushMultipleFundingAccount } = {},
): Promise<string> {
  const accounts = [account ?? ctx.account('pa-1', ctx.data.cards.credit)];
  const answer = await push(ctx, accounts, { tokenRequestorId: ctx.redeemingTokenRequestorId, ...extra });
  return receiptsOf(answer, accounts)[0]!;
}

function expectRedeemed(answer: HttpAnswer, what: string): Record<string, unknown> {
  const body = answer.body;
  const reason = refusalOf(answer).reasonCode;
  check(
    answer.status === 200 && isRecord(body) && body.decision === 'APPROVED',
    `${what}: expected tokenize to approve, got HTTP ${answer.status}${reason ? ` ${reason}` : ''}`,
  );
  return body;
}

/** A made-up cardholder: every element of accountHolderData. */
const ACCOUNT_HOLDER: AccountHolder = {
  accountHolderName: 'CONFORMANCE/ALEX',
  accountHolderEmailAddress: 'alex.conformance@example.com',
  accountHolderAddress: { line1: '1 Test Street', city: 'London', postalCode: 'N1 1AA', country: 'GBR' },
  accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
};

// --- the scenarios --------------------------------------------------------------------------

export const SCENARIOS: readonly Scenario[] = [
  {
    number: 1,
    operation: 'getEligibleTokenRequestors',
    source: 'page',
    name: 'enabled account ranges: token requestors with 19-digit ranges',
    async run(ctx) {
      const requestId = '123456';
      const ranges = ctx.data.accountRanges.enabled;
      const answer = await ctx.client().getEligibleTokenRequestors({ requestId, accountRanges: ranges });
      conforms(GetEligibleTokenRequestorsResponseSchema, answer, 'the answer');
      check(answer.responseId === requestId, 'responseId is not the requestId');
      check(!answer.errors?.length, `unexpected errors: ${reasons(answer.errors)}`);
      const tokenRequestors = answer.tokenRequestors ?? [];
      check(tokenRequestors.length > 0, 'no token requestors');
      const requested = new Set(ranges.map(padded));
      for (const tr of tokenRequestors) {
        check(
          tr.enabledAccountRanges.some((r) => requested.has(r)),
          `token requestor ${tr.tokenRequestorId} lists none of the requested ranges`,
        );
      }
    },
  },
  {
    number: 2,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a range shorter than 19 digits is zero-padded before matching',
    async run(ctx) {
      const range = ctx.data.accountRanges.short;
      check(range.length < 19, 'the data\'s "short" range has 19 digits');
      const answer = await ctx.client().getEligibleTokenRequestors({ accountRanges: [range] });
      const tokenRequestors = answer.tokenRequestors ?? [];
      check(tokenRequestors.length > 0, 'no token requestors for the zero-padded range');
      for (const tr of tokenRequestors) {
        check(
          tr.enabledAccountRanges.includes(padded(range)),
          `token requestor ${tr.tokenRequestorId} does not list the range zero-padded to 19 digits`,
        );
      }
    },
  },
  {
    number: 3,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a range in MDES enabled for no token requestor: tokenRequestors []',
    async run(ctx) {
      const answer = await ctx
        .client()
        .getEligibleTokenRequestors({ accountRanges: [ctx.data.accountRanges.enabledForNone] });
      check(!answer.errors?.length, `unexpected errors: ${reasons(answer.errors)}`);
      check(
        Array.isArray(answer.tokenRequestors) && answer.tokenRequestors.length === 0,
        `expected tokenRequestors [], got ${answer.tokenRequestors ? `${answer.tokenRequestors.length} entries` : 'none'}`,
      );
    },
  },
  {
    number: 4,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a range not in MDES: ACCOUNT_INELIGIBLE in a 200',
    async run(ctx) {
      const call = ctx
        .client()
        .getEligibleTokenRequestors({ accountRanges: [ctx.data.accountRanges.notInMdes] });
      expectRefusal(await refusalFrom(call), { reasonCode: 'ACCOUNT_INELIGIBLE', status: 200 });
    },
  },
  {
    number: 5,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'requestId missing: MISSING_REQUIRED_FIELD',
    async run(ctx) {
      const refusal = await eligibleRefusal(ctx, { accountRanges: ctx.data.accountRanges.enabled });
      expectRefusal(refusal, { reasonCode: 'MISSING_REQUIRED_FIELD', field: 'requestId' });
    },
  },
  {
    number: 6,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'accountRanges missing: MISSING_REQUIRED_FIELD',
    async run(ctx) {
      const refusal = await eligibleRefusal(ctx, { requestId: randomUUID() });
      expectRefusal(refusal, { reasonCode: 'MISSING_REQUIRED_FIELD', field: 'accountRanges' });
    },
  },
  {
    number: 7,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: `${MAX_ACCOUNT_RANGES + 1} account ranges: INVALID_FIELD_LENGTH`,
    async run(ctx) {
      const ranges = Array<string>(MAX_ACCOUNT_RANGES + 1).fill(ctx.data.accountRanges.enabled[0]!);
      const refusal = await eligibleRefusal(ctx, { requestId: randomUUID(), accountRanges: ranges });
      expectRefusal(refusal, { reasonCode: 'INVALID_FIELD_LENGTH', field: 'accountRanges' });
    },
  },
  {
    number: 8,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'an account range of 8 or 20 digits: INVALID_FIELD_LENGTH',
    async run(ctx) {
      const range = ctx.data.accountRanges.enabled[0]!;
      for (const wrong of [range.slice(0, 8), range.padEnd(20, '0')]) {
        const refusal = await eligibleRefusal(ctx, { requestId: randomUUID(), accountRanges: [wrong] });
        expectRefusal(
          refusal,
          { reasonCode: 'INVALID_FIELD_LENGTH', field: 'accountRanges' },
          `${wrong.length} digits`,
        );
      }
    },
  },
  {
    number: 9,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a non-numeric account range: INVALID_FIELD_FORMAT',
    async run(ctx) {
      const range = ctx.data.accountRanges.enabled[0]!;
      const wrong = `${range.slice(0, 4)}A${range.slice(5)}`;
      const refusal = await eligibleRefusal(ctx, { requestId: randomUUID(), accountRanges: [wrong] });
      expectRefusal(refusal, { reasonCode: 'INVALID_FIELD_FORMAT', field: 'accountRanges' });
    },
  },
  {
    number: 10,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: `a requestId of ${LENGTHS.requestId[1] + 1} characters: INVALID_FIELD_LENGTH`,
    async run(ctx) {
      const refusal = await eligibleRefusal(ctx, {
        requestId: 'r'.repeat(LENGTHS.requestId[1] + 1),
        accountRanges: ctx.data.accountRanges.enabled,
      });
      expectRefusal(refusal, { reasonCode: 'INVALID_FIELD_LENGTH', field: 'requestId' });
    },
  },
  {
    number: 11,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a body that is not JSON: INVALID_JSON',
    async run(ctx) {
      const answer = await ctx.request('POST', TOKEN_CONNECT_PATHS.getEligibleTokenRequestors, {
        text: '{"requestId": "conformance-11", ',
      });
      expectRefusal(refusalOf(answer), { reasonCode: 'INVALID_JSON' });
    },
  },
  {
    number: 12,
    operation: 'getEligibleTokenRequestors',
    source: 'spec',
    name: 'a missing or wrong OAuth signature: 401 from the gateway, not recoverable',
    async run(ctx) {
      const body = { requestId: randomUUID(), accountRanges: ctx.data.accountRanges.enabled };
      const unsigned = await ctx.request('POST', TOKEN_CONNECT_PATHS.getEligibleTokenRequestors, {
        json: body,
        signed: false,
      });
      check(unsigned.status === 401, `unsigned: expected HTTP 401, got ${unsigned.status}`);
      const gateway =
        isRecord(unsigned.body) && isRecord(unsigned.body.Errors) ? unsigned.body.Errors.Error : undefined;
      const first: unknown = Array.isArray(gateway) ? gateway[0] : undefined;
      check(
        isRecord(first) && typeof first.ReasonCode === 'string',
        'unsigned: the answer is not in the gateway format',
      );
      check(first.Recoverable === false, 'unsigned: the gateway error is not marked Recoverable: false');

      // Signed with a key the gateway does not hold for this consumer key.
      const stranger = new OAuthSigner({
        consumerKey: ctx.consumerKey,
        signingKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        clock: ctx.clock,
      });
      const refusal = await refusalFrom(
        ctx
          .client({ signer: stranger })
          .getEligibleTokenRequestors({ accountRanges: ctx.data.accountRanges.enabled }),
      );
      check(refusal.status === 401, `wrong signature: expected HTTP 401, got ${refusal.status ?? '(none)'}`);
      check(refusal.recoverable === false, 'wrong signature: the refusal is not marked not recoverable');
    },
  },
  {
    number: 13,
    operation: 'getAsset',
    source: 'page',
    name: 'a token requestor logo as SVG and PNG (base64, PNG with its size)',
    async run(ctx) {
      const answer = await ctx.client().getAsset(ctx.data.assets.logo);
      conforms(AssetResponseSchema, answer, 'the answer');
      const contents = answer.mediaContents ?? [];
      const svg = contents.find((m) => m.type === 'image/svg+xml');
      const png = contents.find((m) => m.type === 'image/png');
      check(
        svg && png,
        `expected image/svg+xml and image/png, got ${contents.map((m) => m.type).join(', ') || 'none'}`,
      );
      check(
        Buffer.from(svg.data, 'base64').toString('utf8').includes('<svg'),
        'the SVG data is not an SVG document',
      );
      const bytes = Buffer.from(png.data, 'base64');
      check(
        bytes.subarray(1, 4).toString('latin1') === 'PNG' && bytes.length > 24,
        'the PNG data is not a PNG',
      );
      check(
        png.width === String(bytes.readUInt32BE(16)) && png.height === String(bytes.readUInt32BE(20)),
        'the PNG width/height do not match the image',
      );
    },
  },
  {
    number: 14,
    operation: 'getAsset',
    source: 'page',
    name: 'an asset ID not in the repository: 404 INVALID_FIELD_VALUE',
    async run(ctx) {
      const refusal = await refusalFrom(ctx.client().getAsset(ctx.data.assets.unknown));
      expectRefusal(refusal, { reasonCode: 'INVALID_FIELD_VALUE', field: 'AssetId', status: 404 });
    },
  },
  {
    number: 15,
    operation: 'getAsset',
    source: 'page',
    name: 'a malformed asset ID: INVALID_FIELD_FORMAT',
    async run(ctx) {
      for (const malformed of ['not_an_id!', 'a'.repeat(LENGTHS.imageAssetId[1] + 1)]) {
        const path = TOKEN_CONNECT_PATHS.getAsset.replace('{AssetId}', encodeURIComponent(malformed));
        expectRefusal(
          refusalOf(await ctx.request('GET', path)),
          { reasonCode: 'INVALID_FIELD_FORMAT', field: 'AssetId' },
          `${malformed.length} characters`,
        );
      }
    },
  },
  { number: 16, operation: 'getAsset', source: 'page', name: 'page S4 and later' },
  {
    number: 17,
    operation: 'getAsset',
    source: 'spec',
    name: 'the same asset ID twice: identical content',
    async run(ctx) {
      const first = await ctx.client().getAsset(ctx.data.assets.logo);
      const second = await ctx.client().getAsset(ctx.data.assets.logo);
      check(sameJson(first, second), 'the two answers differ');
    },
  },
  {
    number: 18,
    operation: 'pushMultipleAccounts',
    source: 'page',
    name: 'two credit cards: two MCC- receipts for the pushAccountIds, push methods',
    async run(ctx) {
      const accounts = [
        ctx.account('pa-1', ctx.data.cards.credit),
        ctx.account('pa-2', ctx.data.cards.credit2),
      ];
      const answer = await push(ctx, accounts);
      const receipts = receiptsOf(answer, accounts).map((r) => checkReceipt(r, 'MCC'));
      check(new Set(receipts).size === receipts.length, 'the two accounts got the same receipt');
      check((answer.availablePushMethods ?? []).length > 0, 'no availablePushMethods');
    },
  },
  {
    number: 19,
    operation: 'pushMultipleAccounts',
    source: 'page',
    name: "signatureData with a callbackURL: an RS256 signature MDES's key asset verifies, over the receipts and the callback",
    needs: ['pushSigningKey'],
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const answer = await push(ctx, accounts, {
        signatureData: { callbackURL: CALLBACK_URL, locale: 'en_GB' },
      });
      const receipts = receiptsOf(answer, accounts);
      check(answer.tokenRequestorSignatureSupport === true, 'tokenRequestorSignatureSupport is not true');
      check(answer.signature, 'no signature');
      const signed = await ctx.verifyPush(answer.signature);
      check(
        sameJson(signed.pushAccountReceipts, receipts),
        'the signed receipts are not the receipts returned',
      );
      check(signed.callbackURL === CALLBACK_URL, 'the signed callback URL is not the one sent');
      check(signed.locale === 'en_GB', 'the signed locale is not the one sent');
    },
  },
  {
    number: 20,
    operation: 'pushMultipleAccounts',
    source: 'page',
    name: 'requestIssuerInitiatedDigitizationData: the data names each receipt',
    async run(ctx) {
      const accounts = [
        ctx.account('pa-1', ctx.data.cards.credit),
        ctx.account('pa-2', ctx.data.cards.maestro),
      ];
      const answer = await push(ctx, accounts, { requestIssuerInitiatedDigitizationData: true });
      const receipts = receiptsOf(answer, accounts);
      (answer.pushAccountReceipts ?? []).forEach((result, i) => {
        check(
          result.issuerInitiatedDigitizationData,
          `pushAccountReceipts[${i}] has no issuerInitiatedDigitizationData`,
        );
        let decoded: unknown;
        try {
          decoded = JSON.parse(
            Buffer.from(result.issuerInitiatedDigitizationData, 'base64').toString('utf8'),
          );
        } catch {
          check(false, `pushAccountReceipts[${i}].issuerInitiatedDigitizationData is not base64 JSON`);
        }
        conforms(
          IssuerInitiatedDigitizationDataSchema,
          decoded,
          `pushAccountReceipts[${i}]'s digitization data`,
        );
        check(
          decoded.fundingAccountInfo.pushAccountReceipt === receipts[i],
          `pushAccountReceipts[${i}]'s digitization data names another receipt`,
        );
      });
    },
  },
  { number: 21, operation: 'pushMultipleAccounts', source: 'page', name: 'page S4 and later' },
  {
    number: 22,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a debit card: DMC- receipt; a Maestro card: MSI-',
    async run(ctx) {
      for (const [card, prefix] of [
        [ctx.data.cards.debit, 'DMC'],
        [ctx.data.cards.maestro, 'MSI'],
      ] as const) {
        const accounts = [ctx.account('pa-1', card)];
        const [receipt] = receiptsOf(await push(ctx, accounts), accounts);
        checkReceipt(receipt, prefix);
      }
    },
  },
  {
    number: 23,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'pushAccountReceiptsValidityPeriod 10: redeemable 10 minutes; absent: 15',
    needs: ['tokenRequestor', 'clock'],
    async run(ctx) {
      const asked = 10;
      const ten = [
        await pushForRedemption(ctx, { pushAccountReceiptsValidityPeriod: asked }),
        await pushForRedemption(ctx, { pushAccountReceiptsValidityPeriod: asked }),
      ];
      const fifteen = [await pushForRedemption(ctx), await pushForRedemption(ctx)];
      const SECOND = 1000;
      await ctx.advanceClock(asked * MINUTE - SECOND);
      expectRedeemed(await ctx.redeem(ten[0]!), `a ${asked}-minute receipt a second before expiry`);
      await ctx.advanceClock(SECOND);
      expectRefusal(refusalOf(await ctx.redeem(ten[1]!)), { reasonCode: EXPIRED, status: 400 });
      await ctx.advanceClock((RECEIPT_VALIDITY_MINUTES.default - asked) * MINUTE - SECOND);
      expectRedeemed(await ctx.redeem(fifteen[0]!), 'a default receipt a second before 15 minutes');
      await ctx.advanceClock(SECOND);
      expectRefusal(refusalOf(await ctx.redeem(fifteen[1]!)), { reasonCode: EXPIRED, status: 400 });
    },
  },
  {
    number: 24,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'pushAccountReceiptsValidityPeriod 4 or 16: INVALID_FIELD_VALUE',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      for (const minutes of [RECEIPT_VALIDITY_MINUTES.min - 1, RECEIPT_VALIDITY_MINUTES.max + 1]) {
        const refusal = await pushRefusal(
          ctx,
          pushBody(ctx, accounts, { pushAccountReceiptsValidityPeriod: minutes }),
        );
        expectRefusal(
          refusal,
          { reasonCode: 'INVALID_FIELD_VALUE', field: 'pushAccountReceiptsValidityPeriod' },
          `${minutes} minutes`,
        );
      }
    },
  },
  {
    number: 25,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a receipt redeemed twice: the second redemption refused',
    needs: ['tokenRequestor'],
    async run(ctx) {
      const receipt = await pushForRedemption(ctx);
      expectRedeemed(await ctx.redeem(receipt), 'the first redemption');
      expectRefusal(refusalOf(await ctx.redeem(receipt)), { reasonCode: ALREADY_USED, status: 400 });
    },
  },
  {
    number: 26,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a token requestor without signature support: no signature',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const answer = await push(ctx, accounts, {
        tokenRequestorId: ctx.data.tokenRequestors.singleCardWithoutSignature,
        signatureData: { callbackURL: CALLBACK_URL },
      });
      checkReceipt(receiptsOf(answer, accounts)[0], 'MCC');
      check(answer.tokenRequestorSignatureSupport === false, 'tokenRequestorSignatureSupport is not false');
      check(answer.signature === undefined, 'the answer carries a signature');
    },
  },
  {
    number: 27,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a tokenRequestorId of 10 digits: LENGTH; with letters: FORMAT',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const ten = ctx.data.tokenRequestors.multipleCards.slice(0, 10);
      for (const [tokenRequestorId, reasonCode] of [
        [ten, 'INVALID_FIELD_LENGTH'],
        [`${ten}X`, 'INVALID_FIELD_FORMAT'],
      ] as const) {
        const refusal = await pushRefusal(ctx, pushBody(ctx, accounts, { tokenRequestorId }));
        expectRefusal(
          refusal,
          { reasonCode, field: 'tokenRequestorId' },
          reasonCode.slice('INVALID_FIELD_'.length).toLowerCase(),
        );
      }
    },
  },
  {
    number: 28,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a card the token requestor does not accept: ACCOUNT_INELIGIBLE for it alone',
    async run(ctx) {
      const accounts = [
        ctx.account('ok', ctx.data.cards.credit),
        ctx.account('no', ctx.data.cards.ineligible),
      ];
      const [ok, no] = (await push(ctx, accounts)).pushAccountReceipts ?? [];
      check(
        ok?.pushAccountId === 'ok' && no?.pushAccountId === 'no',
        'the results do not follow the accounts pushed',
      );
      checkReceipt(ok.pushAccountReceipt);
      check(no.pushAccountReceipt === undefined, 'the ineligible account got a receipt');
      expectRefusal({ status: 200, ...no.errors?.[0] }, { reasonCode: 'ACCOUNT_INELIGIBLE', status: 200 });
    },
  },
  {
    number: 29,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'a card whose range is not in MDES: ACCOUNT_INELIGIBLE',
    async run(ctx) {
      const answer = await push(ctx, [ctx.account('pa-1', ctx.data.cards.notInMdes)]);
      const [result] = answer.pushAccountReceipts ?? [];
      check(result?.pushAccountId === 'pa-1', 'no result for the account pushed');
      check(result.pushAccountReceipt === undefined, 'the account got a receipt');
      expectRefusal(
        { status: 200, ...result.errors?.[0] },
        { reasonCode: 'ACCOUNT_INELIGIBLE', status: 200 },
      );
      check(answer.signature === undefined, 'a signature came without any receipt');
    },
  },
  {
    number: 30,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'six accounts, or two to a single-card token requestor: INVALID_FIELD_VALUE',
    async run(ctx) {
      const six = Array.from({ length: MAX_RECEIPTS_PER_PUSH + 1 }, (_, i) =>
        ctx.account(`pa-${i + 1}`, ctx.data.cards.credit),
      );
      expectRefusal(
        await pushRefusal(ctx, pushBody(ctx, six)),
        { reasonCode: 'INVALID_FIELD_VALUE', field: 'pushFundingAccounts' },
        `${six.length} accounts`,
      );
      const two = ctx.client().pushMultipleAccounts({
        tokenRequestorId: ctx.data.tokenRequestors.singleCardWithoutSignature,
        accounts: [ctx.account('pa-1', ctx.data.cards.credit), ctx.account('pa-2', ctx.data.cards.debit)],
      });
      expectRefusal(
        await refusalFrom(two),
        { reasonCode: 'INVALID_FIELD_VALUE', field: 'pushFundingAccounts' },
        'two accounts to a single-card token requestor',
      );
    },
  },
  {
    number: 31,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'two accounts with the same pushAccountId: INVALID_FIELD_VALUE',
    async run(ctx) {
      const twins = [ctx.account('same', ctx.data.cards.credit), ctx.account('same', ctx.data.cards.debit)];
      expectRefusal(await pushRefusal(ctx, pushBody(ctx, twins)), {
        reasonCode: 'INVALID_FIELD_VALUE',
        field: 'pushAccountId',
      });
    },
  },
  {
    number: 32,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'an unknown key fingerprint or a tampered ciphertext: CRYPTOGRAPHY_ERROR',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
      const spoilers = {
        'unknown fingerprint': (p: ReturnType<typeof ctx.encrypter.encrypt>) => ({
          ...p,
          publicKeyFingerprint: flip(p.publicKeyFingerprint),
        }),
        'tampered ciphertext': (p: ReturnType<typeof ctx.encrypter.encrypt>) => ({
          ...p,
          encryptedData: flip(p.encryptedData),
        }),
      };
      for (const [what, spoil] of Object.entries(spoilers)) {
        const encrypter = { encrypt: (plaintext: string) => spoil(ctx.encrypter.encrypt(plaintext)) };
        const call = ctx.client({ encrypter }).pushMultipleAccounts({
          tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
          accounts,
        });
        expectRefusal(await refusalFrom(call), { reasonCode: 'CRYPTOGRAPHY_ERROR' }, what);
      }
    },
  },
  {
    number: 33,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'dataValidUntilTimestamp past, or over 30 days ahead: INVALID_FIELD_VALUE',
    async run(ctx) {
      const now = ctx.clock.now().getTime();
      for (const [what, at] of [
        ['in the past', now - MINUTE],
        ['31 days ahead', now + 31 * DAY],
      ] as const) {
        const accounts = [
          ctx.account('pa-1', ctx.data.cards.credit, { dataValidUntilTimestamp: new Date(at).toISOString() }),
        ];
        const call = ctx.client().pushMultipleAccounts({
          tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
          accounts,
        });
        expectRefusal(
          await refusalFrom(call),
          { reasonCode: 'INVALID_FIELD_VALUE', field: 'dataValidUntilTimestamp' },
          what,
        );
      }
    },
  },
  {
    number: 34,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'an expiry date in the past: INVALID_FIELD_VALUE (expiryYear)',
    async run(ctx) {
      const lastYear = String((ctx.clock.now().getUTCFullYear() - 1) % 100).padStart(2, '0');
      const expired = { ...ctx.data.cards.credit, expiryMonth: '01', expiryYear: lastYear };
      const call = ctx.client().pushMultipleAccounts({
        tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
        accounts: [ctx.account('pa-1', expired)],
      });
      expectRefusal(await refusalFrom(call), { reasonCode: 'INVALID_FIELD_VALUE', field: 'expiryYear' });
    },
  },
  {
    number: 35,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'pushFundingAccounts missing: MISSING_REQUIRED_FIELD',
    async run(ctx) {
      const { pushFundingAccounts: _, ...body } = pushBody(ctx, [ctx.account('pa-1', ctx.data.cards.credit)]);
      expectRefusal(await pushRefusal(ctx, body), {
        reasonCode: 'MISSING_REQUIRED_FIELD',
        field: 'pushFundingAccounts',
      });
    },
  },
  {
    number: 36,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'locale en-US: INVALID_FIELD_FORMAT; a 257-character callbackURL: LENGTH',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const locale = await pushRefusal(ctx, pushBody(ctx, accounts, { signatureData: { locale: 'en-US' } }));
      expectRefusal(locale, { reasonCode: 'INVALID_FIELD_FORMAT', field: 'locale' }, 'locale');
      const base = 'https://issuer.example/push/callback?state=';
      const long = base + 'x'.repeat(LENGTHS.callbackURL[1] + 1 - base.length);
      const callback = await pushRefusal(
        ctx,
        pushBody(ctx, accounts, { signatureData: { callbackURL: long } }),
      );
      expectRefusal(callback, { reasonCode: 'INVALID_FIELD_LENGTH', field: 'callbackURL' }, 'callbackURL');
    },
  },
  {
    number: 37,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'accountHolderData: only the elements the token requestor accepts reach it',
    needs: ['tokenRequestor'],
    async run(ctx) {
      const tokenRequestorId = ctx.redeemingTokenRequestorId;
      const eligible = await ctx
        .client()
        .getEligibleTokenRequestors({ accountRanges: ctx.data.accountRanges.enabled });
      const record = eligible.tokenRequestors?.find((tr) => tr.tokenRequestorId === tokenRequestorId);
      check(record, `token requestor ${tokenRequestorId} is not eligible for the enabled ranges`);
      const accepted = (record.supportedAccountHolderData ?? []).flatMap((element) => {
        const field = accountHolderFieldOf(element);
        return field ? [{ element, field }] : [];
      });
      const acceptedElements = accepted.map((a) => a.element);

      const receipt = await pushForRedemption(ctx, {
        account: ctx.account('pa-1', ctx.data.cards.credit, { accountHolderData: ACCOUNT_HOLDER }),
        signatureData: { accountHolderDataSupplied: true },
      });
      const token = expectRedeemed(await ctx.redeem(receipt), 'the redemption');
      // MDES encrypts tokenDetail to the token requestor (Digital Enablement 1.3.3): open it as it would.
      const detail = ctx.openForTokenRequestor(token.tokenDetail);
      check(
        isRecord(detail),
        'tokenDetail does not open with the token requestor’s key: give the token requestor’s decryption key',
      );
      const received = isRecord(detail.accountHolderData) ? detail.accountHolderData : {};
      const receivedElements = Object.entries(ACCOUNT_HOLDER_DATA_FIELDS)
        .filter(([, field]) => received[field] !== undefined)
        .map(([element]) => element);
      check(
        sameJson([...receivedElements].sort(), [...acceptedElements].sort()),
        `the token requestor received ${receivedElements.join(', ') || 'nothing'}; it accepts ${acceptedElements.join(', ') || 'nothing'}`,
      );
      const expected = Object.fromEntries(accepted.map(({ field }) => [field, ACCOUNT_HOLDER[field]]));
      check(sameJson(received, expected), 'the account holder data received differs from the data sent');
    },
  },
  {
    number: 38,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'the same request sent twice (a retry): the same receipts',
    async run(ctx) {
      // The first answer is read, then lost: pushprov's client retries with
      // the very same bytes, as it does when an answer never arrives.
      const sent: string[] = [];
      let first: HttpAnswer | undefined;
      const losingFirstAnswer: typeof globalThis.fetch = async (input, init) => {
        sent.push(String(init?.body));
        const response = await fetch(input, init);
        if (first) return response;
        const text = await response.text();
        first = { status: response.status, text, body: undefined };
        throw Object.assign(new Error('the answer was lost'), { code: 'ECONNRESET' });
      };
      const accounts = [
        ctx.account('pa-1', ctx.data.cards.credit),
        ctx.account('pa-2', ctx.data.cards.debit),
      ];
      const answer = await ctx
        .client({ fetch: losingFirstAnswer, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })
        .pushMultipleAccounts({ tokenRequestorId: ctx.data.tokenRequestors.multipleCards, accounts });
      check(sent.length === 2 && sent[0] === sent[1], 'the client did not resend the same request');
      check(first?.status === 200, `the first answer was HTTP ${first?.status ?? '(none)'}, not 200`);
      const replayed = receiptsOf(answer, accounts);
      const original = (JSON.parse(first.text) as PushMultipleAccountsResponse).pushAccountReceipts?.map(
        (r) => r.pushAccountReceipt,
      );
      check(sameJson(original, replayed), 'the retry got other receipts than the first answer');
    },
  },
  {
    number: 39,
    operation: 'pushAccount',
    source: 'spec',
    name: 'pushAccount (deprecated), one card: a receipt and push methods',
    async run(ctx) {
      const requestId = randomUUID();
      const answer = await ctx.client().pushAccount({
        requestId,
        tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
        account: ctx.account('pa-1', ctx.data.cards.debit).fundingAccountData,
      });
      conforms(PushAccountResponseSchema, answer, 'the answer');
      check(answer.responseId === requestId, 'responseId is not the requestId');
      checkReceipt(answer.pushAccountReceipt, 'DMC');
      check((answer.availablePushMethods ?? []).length > 0, 'no availablePushMethods');
    },
  },
  ...HANDOVER_SCENARIOS,
  ...CUSTOMER_SERVICE_SCENARIOS,
];
