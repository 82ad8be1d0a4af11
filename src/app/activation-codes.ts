import { PushprovError } from '../core/errors.js';
import type { ActivationCodeSender } from '../service/tokens/activations.js';
import type { IssuerContext } from './issuer.js';

/**
 * Where activation codes go. A bank sends them through its own SMS and
 * e-mail gateways, which pushprov does not ship: outside the simulator a
 * Deliver Activation Code is refused (MDES then treats the issuer as not
 * answering) until a sender is wired in here. In development the code is
 * shown on the terminal (never in a log line) and the log says only that it
 * was sent, and where, masked.
 */
export function activationCodeSender({
  config,
  logger,
  reveal,
}: Pick<IssuerContext, 'config' | 'logger' | 'reveal'>): ActivationCodeSender {
  if (config.mastercardEnv !== 'simulator') {
    return {
      send: async () => {
        throw new PushprovError(
          'ACTIVATION_CODE_SENDER_UNAVAILABLE',
          'no SMS or e-mail sender is configured',
          {
            status: 503,
          },
        );
      },
    };
  }
  return {
    send: async (message) => {
      logger.info(
        { activationCode: { channel: message.channel, to: message.maskedTo, expiresAt: message.expiresAt } },
        'activation code sent (development: shown on the terminal)',
      );
      reveal?.(
        `activation code for ${message.maskedTo}${message.tokenRequestorName ? ` (${message.tokenRequestorName})` : ''}: ${message.code}`,
      );
    },
  };
}
