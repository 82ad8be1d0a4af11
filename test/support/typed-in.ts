import { DEMO_MERCHANT_CONSUMER_KEY } from '../../src/app/mastercard-side.js';
import type { DevKeys } from '../../src/mastercard/keys/generate.js';
import { signedPost } from '../../src/mastercard/oauth/signed-post.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import type { Stack } from './stack.js';

const DEMO_SHOP = '50182375119';

/**
 * The demo merchant's own MDES tokenize call for a card the shopper typed in
 * (no push): the card encrypted to Mastercard's key, signed with the
 * merchant's key, as MDES for Merchants' "card added manually".
 */
export async function tokenizeTypedIn(
  target: Stack,
  keys: DevKeys,
  card: { pan: string; expiryMonth: number; expiryYear: number },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const encrypted = new FieldLevelPayloadEncrypter({
    encryptionKey: keys.mastercardEncryption.certificate ?? keys.mastercardEncryption.publicKey,
  }).encrypt(
    JSON.stringify({
      cardAccountData: {
        accountNumber: card.pan,
        expiryMonth: String(card.expiryMonth).padStart(2, '0'),
        expiryYear: String(card.expiryYear % 100).padStart(2, '0'),
      },
    }),
  );
  const response = await signedPost(
    `${target.simulator}/mdes/digitization/static/1/0/tokenize`,
    JSON.stringify({
      requestId: `typed-${Date.now()}`,
      tokenType: 'CLOUD',
      tokenRequestorId: DEMO_SHOP,
      taskId: `task-${Date.now()}`,
      fundingAccountInfo: { encryptedPayload: encrypted },
    }),
    {
      signer: new OAuthSigner({
        consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
        signingKey: keys.merchantSigning.privateKey,
      }),
      timeoutMs: 10_000,
    },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
