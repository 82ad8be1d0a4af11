import { Type } from '@sinclair/typebox';

/** Wire shapes of the ops card routes. A card on the wire is always masked. */
const text = (description: string, maxLength = 256) => Type.String({ description, maxLength });

const ImportCardSchema = Type.Object({
  externalRef: text("The issuer's reference for the card; re-importing it updates the card", 64),
  pan: text('Card number (Mastercard or Maestro, Luhn-valid); sealed on arrival, never returned', 19),
  expiryMonth: Type.Integer({ minimum: 1, maximum: 12 }),
  expiryYear: Type.Integer({ minimum: 2000, maximum: 2099 }),
  country: text('ISO 3166-1 alpha-2 country of issue', 2),
  status: Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('closed')]),
  productName: text('Shown to the cardholder', 64),
  cardArtRef: Type.Optional(text('Reference of the card art asset', 200)),
});

const ImportCardholderSchema = Type.Object({
  externalRef: text("The issuer's reference for the person; re-importing it updates the profile", 64),
  name: text('Full name', 100),
  email: text('Email address', 254),
  phone: text('Mobile number, E.164', 20),
  billingAddress: Type.Object({
    line1: text('', 100),
    line2: Type.Optional(text('', 100)),
    city: text('', 64),
    state: Type.Optional(text('', 32)),
    postalCode: text('', 16),
    country: text('ISO 3166-1 alpha-2', 2),
  }),
  locale: text('e.g. en-GB', 10),
  cards: Type.Array(ImportCardSchema),
});

export const ImportBody = Type.Object({ cardholders: Type.Array(ImportCardholderSchema) });

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });

export const ImportResult = Type.Object({
  cardholders: Counts,
  cards: Counts,
  tokenFollowUps: Type.Object(
    { replaced: Type.Integer(), closed: Type.Integer(), blocked: Type.Integer(), unblocked: Type.Integer() },
    {
      description:
        'Cards whose tokens at MDES are to follow a change, taken to MDES by a job: replaced or reissued under their reference (tokens follow the new last four digits and expiry), closed (tokens deleted), blocked (tokens suspended), unblocked (tokens the issuer suspended are resumed)',
    },
  ),
});

const MaskedCard = Type.Object({
  id: Type.String(),
  lastFour: Type.String(),
  expiryMonth: Type.Integer(),
  expiryYear: Type.Integer(),
  country: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('closed')]),
  productName: Type.String(),
});

export const CardList = Type.Object({ cardholderId: Type.String(), cards: Type.Array(MaskedCard) });

export const CardholderParams = Type.Object({
  id: Type.String({ pattern: '^chd_[a-z0-9]{8,40}$', maxLength: 48 }),
});
