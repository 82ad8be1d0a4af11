import { Value } from '@sinclair/typebox/value';
import { CUSTOMER_SERVICE_PATHS } from '../../mastercard/customer-service/endpoints.js';
import {
  type AuditInfo,
  SearchResponseSchema,
  STATUS_CODES,
} from '../../mastercard/customer-service/schemas.js';
import { check } from './checks.js';
import type { HttpAnswer, ScenarioContext } from './context.js';
import { push, receiptsOf } from './pushes.js';
import type { Scenario } from './scenarios.js';

/**
 * MDES Customer Service (2.0.7) as the issuer uses it for token management
 * (docs/mastercard/customer-service.md): search, suspend and unsuspend,
 * status history, token update and refusals, each through pushprov's own
 * client. The ones that change a token need one of the issuer's at the
 * target: given in the data (the sandbox's example token), or made by
 * pushing a test card and redeeming the receipt (the simulator).
 */

const AUDIT_INFO: AuditInfo = {
  UserId: 'pushprov-conformance',
  UserName: 'pushprov conformance',
  Organization: 'pushprov',
};

/** A token of the issuer's: the data's, or a new one of the scenario's own making. */
async function issuerToken(ctx: ScenarioContext): Promise<{ reference: string; ours: boolean }> {
  const given = ctx.data.customerService?.tokenUniqueReference;
  return given ? { reference: given, ours: false } : { reference: await ownToken(ctx), ours: true };
}

/** A new token: a test card pushed and its receipt redeemed by the token requestor. */
async function ownToken(ctx: ScenarioContext): Promise<string> {
  const accounts = [ctx.account('pa-cs', ctx.data.cards.credit)];
  const [receipt = ''] = receiptsOf(await push(ctx, accounts), accounts);
  const redeemed = await ctx.redeem(receipt);
  const reference = (redeemed.body as { tokenUniqueReference?: string } | undefined)?.tokenUniqueReference;
  check(redeemed.status === 200 && reference, `tokenize answered HTTP ${redeemed.status}`);
  return reference;
}

/** The status and suspenders search reports for a token. */
async function statusOf(ctx: ScenarioContext, reference: string) {
  const [token] = await ctx.customerService().search({ tokenUniqueReference: reference }, AUDIT_INFO);
  check(token, 'search does not find the token');
  return { status: token.CurrentStatusCode, suspenders: token.Suspenders?.Suspender ?? [] };
}

/** The first error of the API's envelope, `{ Errors: { Error: [...] } }`. */
function firstError(answer: HttpAnswer): { ReasonCode?: string; Source?: string } {
  const errors = (answer.body as { Errors?: { Error?: unknown[] } } | undefined)?.Errors?.Error;
  check(Array.isArray(errors) && errors.length > 0, `no error envelope in HTTP ${answer.status}`);
  return errors[0] as { ReasonCode?: string; Source?: string };
}

export const CUSTOMER_SERVICE_SCENARIOS: readonly Scenario[] = [
  {
    number: 44,
    operation: 'search',
    source: 'spec',
    name: 'search by a token unique reference MDES does not have: an answer of the SearchResponse shape, no token',
    async run(ctx) {
      const answer = await ctx.customerServiceRequest(CUSTOMER_SERVICE_PATHS.search, {
        SearchRequest: { TokenUniqueReference: 'DWSPMC000000000000000000conformance', AuditInfo: AUDIT_INFO },
      });
      check(answer.status === 200, `search answered HTTP ${answer.status}`);
      check(Value.Check(SearchResponseSchema, answer.body), 'the answer is not a SearchResponse');
    },
  },
  {
    number: 45,
    operation: 'suspend',
    source: 'spec',
    name: 'a change without AuditInfo, or with a ReasonCode the operation does not list: refused in the error envelope',
    async run(ctx) {
      const reference =
        ctx.data.customerService?.tokenUniqueReference ?? 'DWSPMC000000000000000000conformance';
      const noAudit = await ctx.customerServiceRequest(CUSTOMER_SERVICE_PATHS.suspend, {
        TokenSuspendRequest: { TokenUniqueReference: reference, ReasonCode: 'Z' },
      });
      check(noAudit.status >= 400 && noAudit.status < 500, `without AuditInfo: HTTP ${noAudit.status}`);
      check(firstError(noAudit).ReasonCode, 'the refusal names no reason code');
      const badReason = await ctx.customerServiceRequest(CUSTOMER_SERVICE_PATHS.suspend, {
        TokenSuspendRequest: { TokenUniqueReference: reference, ReasonCode: 'C', AuditInfo: AUDIT_INFO },
      });
      check(badReason.status >= 400 && badReason.status < 500, `ReasonCode C: HTTP ${badReason.status}`);
      check(firstError(badReason).ReasonCode, 'the refusal names no reason code');
    },
  },
  {
    number: 46,
    operation: 'suspend',
    source: 'spec',
    name: 'suspend then unsuspend one token: each answer names it; search shows S with suspender I, then A',
    needs: ['issuerToken'],
    async run(ctx) {
      const { reference, ours } = await issuerToken(ctx);
      const cs = ctx.customerService();
      const suspended = await cs.suspend({
        tokenUniqueReference: reference,
        reasonCode: 'Z',
        auditInfo: AUDIT_INFO,
      });
      check(suspended.TokenUniqueReference === reference, 'the suspend answer names another token');
      if (ours) {
        const after = await statusOf(ctx, reference);
        check(
          after.status === 'S' && after.suspenders.includes('I'),
          `after suspend: ${after.status} ${after.suspenders}`,
        );
      }
      const resumed = await cs.unsuspend({
        tokenUniqueReference: reference,
        reasonCode: 'Z',
        auditInfo: AUDIT_INFO,
      });
      check(resumed.TokenUniqueReference === reference, 'the unsuspend answer names another token');
      if (ours) {
        const after = await statusOf(ctx, reference);
        check(after.status === 'A', `after unsuspend: ${after.status}`);
      }
    },
  },
  {
    number: 47,
    operation: 'statusHistory',
    source: 'spec',
    name: 'status history of a token: statuses with their codes, oldest first',
    needs: ['issuerToken'],
    async run(ctx) {
      const { reference } = await issuerToken(ctx);
      const statuses = await ctx.customerService().statusHistory(reference, AUDIT_INFO);
      check(statuses.length > 0, 'no status');
      check(
        statuses.every((s) => (STATUS_CODES as readonly string[]).includes(s.StatusCode)),
        'a StatusCode is not U, A, S or D',
      );
    },
  },
  {
    number: 48,
    operation: 'update',
    source: 'spec',
    name: 'token update with a new expiry: the answer names the token',
    needs: ['issuerToken'],
    async run(ctx) {
      const { reference } = await issuerToken(ctx);
      const year = String((ctx.clock.now().getUTCFullYear() + 4) % 100).padStart(2, '0');
      const updated = await ctx
        .customerService()
        .update({ tokenUniqueReference: reference, expirationDate: `12${year}`, auditInfo: AUDIT_INFO });
      check(
        updated.some((t) => t.TokenUniqueReference === reference),
        'the answer does not name the token',
      );
    },
  },
  {
    number: 49,
    operation: 'delete',
    source: 'spec',
    name: 'delete a token (reason C, account closed): a deleted token can no longer be resumed',
    needs: ['tokenRequestor'],
    async run(ctx) {
      // Only a token of the scenario's own making: deleting a sandbox example for good would spoil it.
      const reference = await ownToken(ctx);
      const cs = ctx.customerService();
      await cs.delete({ tokenUniqueReference: reference, reasonCode: 'C', auditInfo: AUDIT_INFO });
      check((await statusOf(ctx, reference)).status === 'D', 'the token is not deleted');
      const refused = await ctx.customerServiceRequest(CUSTOMER_SERVICE_PATHS.unsuspend, {
        TokenUnsuspendRequest: { TokenUniqueReference: reference, ReasonCode: 'Z', AuditInfo: AUDIT_INFO },
      });
      check(refused.status >= 400, `unsuspending a deleted token answered HTTP ${refused.status}`);
      check(firstError(refused).ReasonCode, 'the refusal names no reason code');
    },
  },
];
