import { Type } from '@sinclair/typebox';

/** Wire shapes of the ops card routes (an import's is the import format's). A card on the wire is always masked. */
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
