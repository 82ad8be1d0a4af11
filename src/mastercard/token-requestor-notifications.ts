import { type Static, Type } from '@sinclair/typebox';

/**
 * MDES's Notify Token Updated (NTU), from MDES to a token requestor (a
 * merchant's Secure Card on File, Click to Pay) when one of its tokens
 * changes: suspended, resumed, deleted (`DEACTIVATED`), or its funding
 * account replaced. MDES Digital Enablement API shape: a `requestId` and
 * `responseHost`, and the changed `tokens`, each with its status, who
 * suspended it, when, and the funding account's last four digits and
 * expiry. The token requestor answers with `responseId` / `responseHost`.
 * Assumptions: the `reasonCode` values and `accountPanExpiry` (MMYY) are
 * the simulator's reading; MDES signs the request as it signs its issuer
 * notifications (OAuth 1.0a with Mastercard's key).
 */
export const NTU_MESSAGE_TYPE = 'NOTIFY_TOKEN_UPDATED' as const;

/** The token requestor's view of a token's status (MDES calls a deleted token DEACTIVATED). */
export const NtuTokenStatus = Type.Union([
  Type.Literal('ACTIVE'),
  Type.Literal('SUSPENDED'),
  Type.Literal('DEACTIVATED'),
]);

export const NtuToken = Type.Object({
  tokenUniqueReference: Type.String({ minLength: 1, maxLength: 64 }),
  status: NtuTokenStatus,
  /** Present when SUSPENDED: who suspended it (ISSUER, TOKEN_REQUESTOR, CARDHOLDER). */
  suspendedBy: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 4 })),
  statusTimestamp: Type.String({ minLength: 1, maxLength: 40 }),
  /** STATUS_UPDATE for a status change; ACCOUNT_UPDATE when the funding account was replaced. */
  reasonCode: Type.Union([Type.Literal('STATUS_UPDATE'), Type.Literal('ACCOUNT_UPDATE')]),
  tokenInfo: Type.Object({
    tokenPanSuffix: Type.String({ pattern: '^[0-9]{4}$' }),
    accountPanSuffix: Type.String({ pattern: '^[0-9]{4}$' }),
    accountPanExpiry: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])[0-9]{2}$' })),
  }),
});
export type NtuToken = Static<typeof NtuToken>;

export const NotifyTokenUpdatedRequest = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  responseHost: Type.String({ maxLength: 255 }),
  tokens: Type.Array(NtuToken, { minItems: 1, maxItems: 10 }),
});
export type NotifyTokenUpdatedRequest = Static<typeof NotifyTokenUpdatedRequest>;

export interface NotifyTokenUpdatedResponse {
  responseId: string;
  responseHost: string;
}
