import { type Static, Type } from '@sinclair/typebox';

/**
 * MDES's messages to an issuer about its tokens. On Mastercard's network
 * they are ISO 8583 messages; pushprov carries them as HTTP JSON named after
 * them, signed by Mastercard (OAuth 1.0a over the exact body). Every message
 * shares one envelope: `notificationId` (unique; the issuer's deduplication
 * key), `messageType`, `timestamp` and the `token` it concerns; a message
 * type adds its own member beside `token`. No field is card data or PII
 * beyond the last four digits of the funding account and of the token.
 * The simulator sends them (src/simulator/notifications,
 * src/simulator/decisioning); the issuer takes them (src/http/routes/mdes.ts).
 */
/** Told to the issuer, acknowledged, and redelivered until acknowledged. */
export const NOTIFICATION_TYPES = ['TOKENIZATION_COMPLETE_NOTIFICATION', 'TOKEN_EVENT_NOTIFICATION'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
/** Asked of the issuer, answered at once. */
export const REQUEST_TYPES = ['TOKENIZATION_AUTHORIZATION_REQUEST'] as const;

/** The consumer key MDES signs its messages to issuers with (OAuth 1.0a, Mastercard's signing key). */
export const MDES_CONSUMER_KEY = 'mastercard-mdes';

const reference = (description: string) =>
  Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description });
const lastFour = (description: string) => Type.String({ pattern: '^[0-9]{4}$', description });

export const TokenFacts = Type.Object(
  {
    tokenUniqueReference: reference("MDES's reference of the token"),
    tokenRequestorId: Type.String({ pattern: '^[0-9]{11}$', description: 'TRID of the token requestor' }),
    tokenPanSuffix: lastFour('last four digits of the token'),
    accountPanSuffix: lastFour('last four digits of the funding account'),
    pushAccountId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 36,
        description: "the issuer's pushAccountId, when the token comes from one of its pushes",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TokenFacts = Static<typeof TokenFacts>;

const envelope = {
  notificationId: reference('unique per message; a redelivery carries the same one'),
  timestamp: Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
    description: 'when the event happened, ISO 8601 in UTC',
  }),
  token: TokenFacts,
};

export const TokenizationCompleteNotification = Type.Object(
  { ...envelope, messageType: Type.Literal('TOKENIZATION_COMPLETE_NOTIFICATION') },
  { additionalProperties: false, description: 'A token was created for one of the issuer’s cards' },
);
export type TokenizationCompleteNotification = Static<typeof TokenizationCompleteNotification>;

// Token Event Notifications: what happened to a token after its creation.
export const TOKEN_EVENT_TYPES = [
  'ACTIVATED',
  'SUSPENDED',
  'RESUMED',
  'DELETED',
  'PAN_UPDATED',
  'EXPIRY_UPDATED',
] as const;
export type TokenEventType = (typeof TOKEN_EVENT_TYPES)[number];
export const TOKEN_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const;
/** Who asked for a change, as MDES's lifecycle operations name it. */
export const CAUSES = ['CARDHOLDER', 'ISSUER', 'TOKEN_REQUESTOR', 'MASTERCARD'] as const;
export type CausedBy = (typeof CAUSES)[number];

export const TokenEvent = Type.Object(
  {
    eventType: Type.Union(TOKEN_EVENT_TYPES.map((t) => Type.Literal(t))),
    causedBy: Type.Union(CAUSES.map((c) => Type.Literal(c))),
    status: Type.Union(
      TOKEN_STATUSES.map((s) => Type.Literal(s)),
      { description: "the token's status after the event" },
    ),
  },
  { additionalProperties: false },
);
export type TokenEvent = Static<typeof TokenEvent>;

export const TokenEventNotification = Type.Object(
  { ...envelope, messageType: Type.Literal('TOKEN_EVENT_NOTIFICATION'), tokenEvent: TokenEvent },
  { additionalProperties: false, description: 'One of the issuer’s tokens changed' },
);
export type TokenEventNotification = Static<typeof TokenEventNotification>;

// Fastify's Ajv removes additional properties while it tries each branch in
// turn: a message with more members must come before one with fewer, or the
// first branch strips them (a Token Event Notification would lose its tokenEvent).
export const MdesNotification = Type.Union([TokenEventNotification, TokenizationCompleteNotification]);
export type MdesNotification = Static<typeof MdesNotification>;

/** The issuer's answer to a notification: taken (again, for a redelivery). */
export const NotificationAcknowledgement = Type.Object({
  notificationId: Type.String(),
  status: Type.Literal('ACCEPTED'),
  /** True when this notificationId had been received before; nothing changed this time. */
  duplicate: Type.Boolean(),
});
export type NotificationAcknowledgement = Static<typeof NotificationAcknowledgement>;

// Tokenization Authorization Request: before MDES creates a token for one of
// the issuer's cards it asks the issuer, and waits for the answer.

/** How the card reached the token requestor: pushed by the issuer, or typed in by the cardholder. */
export const TOKENIZATION_SOURCES = ['ACCOUNT_PUSHED', 'CARD_ADDED_MANUALLY'] as const;
export type TokenizationSource = (typeof TOKENIZATION_SOURCES)[number];

export const TOKENIZATION_DECISIONS = ['APPROVED', 'DECLINED', 'REQUIRE_ADDITIONAL_AUTHENTICATION'] as const;
export type TokenizationDecision = (typeof TOKENIZATION_DECISIONS)[number];

export const AuthorizationRequest = Type.Object(
  {
    tokenType: Type.Union([Type.Literal('CLOUD'), Type.Literal('STATIC'), Type.Literal('EMBEDDED_SE')]),
    source: Type.Union([Type.Literal('ACCOUNT_PUSHED'), Type.Literal('CARD_ADDED_MANUALLY')]),
    /** The receipt the token requestor redeemed: the reference to the issuer's push. */
    pushAccountReceipt: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The funding account's expiry, MMYY, when the card has one. */
    accountExpiry: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])[0-9]{2}$' })),
  },
  { additionalProperties: false },
);
export type AuthorizationRequest = Static<typeof AuthorizationRequest>;

export const TokenizationAuthorizationRequest = Type.Object(
  {
    ...envelope,
    messageType: Type.Literal('TOKENIZATION_AUTHORIZATION_REQUEST'),
    authorizationRequest: AuthorizationRequest,
  },
  { additionalProperties: false, description: 'MDES asks whether to create this token' },
);
export type TokenizationAuthorizationRequest = Static<typeof TokenizationAuthorizationRequest>;

/** A way for the cardholder to activate a token that needs more authentication; values are masked. */
export const ActivationMethod = Type.Object(
  {
    type: Type.Union([
      Type.Literal('TEXT_TO_CARDHOLDER_NUMBER'),
      Type.Literal('EMAIL_TO_CARDHOLDER_ADDRESS'),
      Type.Literal('ISSUER_APP'),
    ]),
    value: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type ActivationMethod = Static<typeof ActivationMethod>;

export const TokenizationAuthorizationResponse = Type.Object(
  {
    notificationId: Type.String(),
    decision: Type.Union([
      Type.Literal('APPROVED'),
      Type.Literal('DECLINED'),
      Type.Literal('REQUIRE_ADDITIONAL_AUTHENTICATION'),
    ]),
    /** Why, in the issuer's words (a stable code), for MDES's records and the token requestor's support. */
    reasonCode: Type.String({ pattern: '^[A-Z_]{1,64}$' }),
    activationMethods: Type.Optional(Type.Array(ActivationMethod, { maxItems: 5 })),
  },
  { additionalProperties: false },
);
export type TokenizationAuthorizationResponse = Static<typeof TokenizationAuthorizationResponse>;
