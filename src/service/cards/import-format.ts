import { type Static, Type } from '@sinclair/typebox';

/**
 * The card import format (`pushprov cards import FILE`, `POST
 * /v1/ops/cards/import`, fixtures/demo-cards.json): the one description of
 * it. The import reads a batch against it (src/service/cards/validate.ts) and
 * the OpenAPI document shows it. Strings are compared after their spaces are
 * trimmed and collapsed; an empty string is a missing field.
 */
const text = (description: string, maxLength: number, pattern?: string) =>
  Type.String({ description, maxLength, ...(pattern && { pattern }) });

/** A reference of the issuer's: re-importing it updates what it names. */
const REFERENCE = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$';
const COUNTRY = '^[A-Z]{2}$';

export const ImportCardFormat = Type.Object(
  {
    externalRef: text("The issuer's reference for the card; re-importing it updates the card", 64, REFERENCE),
    pan: Type.String({
      description: 'Card number (Mastercard or Maestro, Luhn-valid); sealed on arrival, never returned',
      pattern: '^[0-9]{12,19}$',
    }),
    expiryMonth: Type.Integer({ minimum: 1, maximum: 12 }),
    expiryYear: Type.Integer({ minimum: 2000, maximum: 2099 }),
    country: text('ISO 3166-1 alpha-2 country of issue', 2, COUNTRY),
    status: Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('closed')]),
    productName: text('Shown to the cardholder', 64),
    cardArtRef: Type.Optional(text('Reference of the card art asset', 200)),
  },
  { additionalProperties: false },
);

const ImportCardholderFormat = Type.Object(
  {
    externalRef: text(
      "The issuer's reference for the person; re-importing it updates the profile",
      64,
      REFERENCE,
    ),
    name: text('Full name', 100),
    email: text('Email address', 254, '^[^\\s@]{1,64}@[^\\s@]+\\.[^\\s@]{2,}$'),
    phone: text('Mobile number, E.164', 20, '^\\+[1-9]\\d{6,14}$'),
    locale: text('e.g. en-GB', 10, '^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}))?$'),
    billingAddress: Type.Object(
      {
        line1: text('', 100),
        line2: Type.Optional(text('', 100)),
        city: text('', 64),
        state: Type.Optional(text('', 32)),
        postalCode: text('', 16),
        country: text('ISO 3166-1 alpha-2', 2, COUNTRY),
      },
      { additionalProperties: false },
    ),
    cards: Type.Optional(Type.Array(ImportCardFormat)),
    demo: Type.Optional(
      Type.Unknown({
        description: "A demo cardholder's sign-in: the demo seeding reads it, the import ignores it",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ImportFormat = Type.Object(
  { cardholders: Type.Array(ImportCardholderFormat) },
  { additionalProperties: false },
);

export type ImportInput = Static<typeof ImportFormat>;
