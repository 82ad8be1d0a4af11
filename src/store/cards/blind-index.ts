import type { Sealer } from '../vault/sealer.js';

/** What the card store needs from the vault: sealing, and keyed indexes of values it must find by. */
export interface BlindIndexer {
  blindIndex(purpose: string, normalised: string): Buffer;
}

export type CardVault = Sealer & BlindIndexer;

/** Index purposes: one per field, so equal values in different fields do not match. */
export const INDEX = {
  email: 'cardholder.email',
  phone: 'cardholder.phone',
  pan: 'card.pan',
} as const;
