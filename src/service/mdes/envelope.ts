import { type Static, Type } from '@sinclair/typebox';

/**
 * MDES's notifications as the issuer accepts them: signed HTTP JSON named
 * after MDES's ISO 8583 messages. Every message shares the envelope
 * (`notificationId`, the deduplication key; `messageType`; `timestamp`; the
 * `token` it concerns); a message type adds its own member beside `token`,
 * so adding Token Event Notifications or the Tokenization Authorization
 * Request adds a member to the union below and changes nothing else. No
 * field is card data or PII beyond last four digits. The sending side is
 * src/simulator/notifications/envelope.ts; docs/simulator.md documents both.
 */
export const MESSAGE_TYPES = ['TOKENIZATION_COMPLETE_NOTIFICATION', 'TOKEN_EVENT_NOTIFICATION'] as const;

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
        description: "the issuer's pushAccountId, when the token came from one of its pushes",
      }),
    ),
  },
  { additionalProperties: false },
);

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

// Token Event Notifications (src/service/tokens): what happened to a token after its creation.
export const TOKEN_EVENT_TYPES = [
  'ACTIVATED',
  'SUSPENDED',
  'RESUMED',
  'DELETED',
  'PAN_UPDATED',
  'EXPIRY_UPDATED',
] as const;
export const TOKEN_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const;

export const TokenEvent = Type.Object(
  {
    eventType: Type.Union(TOKEN_EVENT_TYPES.map((t) => Type.Literal(t))),
    causedBy: Type.Union(
      ['CARDHOLDER', 'ISSUER', 'TOKEN_REQUESTOR', 'MASTERCARD'].map((c) => Type.Literal(c)),
    ),
    status: Type.Union(
      TOKEN_STATUSES.map((s) => Type.Literal(s)),
      {
        description: "the token's status after the event",
      },
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

/** The issuer's answer: the message is taken (again, for a redelivery). */
export const NotificationAcknowledgement = Type.Object({
  notificationId: Type.String(),
  status: Type.Literal('ACCEPTED'),
  /** True when this notificationId had been received before; nothing changed this time. */
  duplicate: Type.Boolean(),
});
export type NotificationAcknowledgement = Static<typeof NotificationAcknowledgement>;
