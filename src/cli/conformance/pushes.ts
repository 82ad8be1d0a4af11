import type { PushMultipleAccountsInput } from '../../mastercard/token-connect/client.js';
import { PushMultipleAccountsResponseSchema } from '../../mastercard/token-connect/schemas.js';
import type {
  PushMultipleAccountsResponse,
  PushMultipleFundingAccount,
} from '../../mastercard/token-connect/types.js';
import { check, checkReceipt, conforms } from './checks.js';
import type { ScenarioContext } from './context.js';

/** The scenarios' pushes: pushprov's own client, and the checks every answer gets. */

export const CALLBACK_URL = 'https://issuer.example/push/callback?state=conformance';

export async function push(
  ctx: ScenarioContext,
  accounts: PushMultipleFundingAccount[],
  extra: Partial<Omit<PushMultipleAccountsInput, 'accounts'>> = {},
): Promise<PushMultipleAccountsResponse> {
  const answer = await ctx.client().pushMultipleAccounts({
    tokenRequestorId: ctx.data.tokenRequestors.multipleCards,
    ...extra,
    accounts,
  });
  conforms(PushMultipleAccountsResponseSchema, answer, 'the answer');
  return answer;
}

/** The receipts of an answer, one per account pushed, in the order pushed. */
export function receiptsOf(
  answer: PushMultipleAccountsResponse,
  accounts: PushMultipleFundingAccount[],
): string[] {
  const results = answer.pushAccountReceipts ?? [];
  check(
    results.length === accounts.length,
    `expected ${accounts.length} pushAccountReceipts, got ${results.length}`,
  );
  return results.map((result, i) => {
    check(
      result.pushAccountId === accounts[i]?.pushAccountId,
      `pushAccountReceipts[${i}] names another pushAccountId`,
    );
    check(!result.errors?.length, `pushAccountReceipts[${i}] has errors: ${reasons(result.errors)}`);
    return checkReceipt(result.pushAccountReceipt);
  });
}

export const reasons = (errors: readonly { reasonCode: string }[] | undefined): string =>
  (errors ?? []).map((e) => e.reasonCode).join(', ') || 'none';
