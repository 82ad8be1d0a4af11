import { type Static, Type } from '@sinclair/typebox';
import { EncryptedPayloadSchema } from '../token-connect/schemas.js';

/**
 * A payment with a token's DSRP cryptogram, from the merchant's acquirer to
 * Mastercard's network. In the world this is ISO 8583 between acquirer and
 * network; pushprov's simulated network takes one HTTP JSON call of its own
 * instead (docs/mastercard/digital-enablement.md, "Authorisation"), the card
 * data in it encrypted to Mastercard's key like any other payload. Not a
 * Mastercard API: the demo shop and the simulator share its shape here.
 */

export const NETWORK_AUTHORIZATION_PATH = '/network/dsrp/authorize';

/** The simulated network's authorisation request (pushprov's own; see the module's comment). */
export const AuthorizationRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  /** Decimal, at most two fractional digits. */
  amount: Type.String({ pattern: '^[0-9]{1,9}(\\.[0-9]{1,2})?$' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  /** `AuthorizationCardData`, field-level encrypted to Mastercard's key. */
  encryptedPayload: EncryptedPayloadSchema,
});
export type AuthorizationRequest = Static<typeof AuthorizationRequestSchema>;

/** What the authorisation's encrypted payload holds: the token's number and the cryptogram from Transact. */
export const AuthorizationCardDataSchema = Type.Object({
  accountNumber: Type.String({ minLength: 9, maxLength: 19, pattern: '^[0-9]+$' }),
  de48se43Data: Type.String({ minLength: 1, maxLength: 32 }),
});
export type AuthorizationCardData = Static<typeof AuthorizationCardDataSchema>;

/** Why a payment is declined; the shop turns these into words. */
export const DECLINE_REASONS = [
  'TOKEN_SUSPENDED_BY_ISSUER',
  'TOKEN_SUSPENDED',
  'TOKEN_DEACTIVATED',
  'INVALID_CRYPTOGRAM',
  'INVALID_ACCOUNT',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export interface AuthorizationResponse {
  responseId: string;
  decision: 'APPROVED' | 'DECLINED';
  reasonCode?: DeclineReason;
  /** The funding card's last four digits the payment went to (the new card after a replacement). */
  accountPanSuffix?: string;
}
