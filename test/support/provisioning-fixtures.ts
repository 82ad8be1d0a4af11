import type { CardholderProfile } from '../../src/domain/account-holder.js';
import type { TokenRequestor } from '../../src/mastercard/token-connect/types.js';
import type { OwnedCard } from '../../src/service/ports.js';

/** The push tests' cardholder, as the bank knows her. */
export const ALICE_PROFILE: CardholderProfile = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '1 Rabbit Hole', city: 'Oxford', postalCode: 'OX1 1AA', country: 'GB' },
  locale: 'en-GB',
};

/** A merchant token requestor taking one card per push from the range `range`, with a WEB push method. */
export const demoShop = (tokenRequestorId: string, range: string): TokenRequestor => ({
  tokenRequestorId,
  name: 'Demo Shop Ltd',
  consumerFacingEntityName: 'Demo Shop',
  tokenRequestorType: 'MERCHANT',
  enabledAccountRanges: [range.padEnd(19, '0')],
  supportsMultiplePushedCards: false,
  supportedAccountHolderData: ['EMAIL_ADDRESS'],
  availablePushMethods: [{ type: 'WEB', uri: 'http://merchant.test/push' }],
});

/** Her eligible card (a Mastercard test number's last four). */
export const ALICE_CARD: OwnedCard = {
  id: 'crd_gb',
  cardholderId: 'chd_alice',
  lastFour: '4444',
  expiryMonth: 12,
  expiryYear: 2029,
  country: 'GB',
  status: 'active',
  productName: 'World',
};
