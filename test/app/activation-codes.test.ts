import { describe, expect, it } from 'vitest';
import { activationCodeSender } from '../../src/app/activation-codes.js';
import { loadConfig } from '../../src/app/config.js';
import { PushprovError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { ActivationCodeMessage } from '../../src/service/tokens/activations.js';
import { captureStream } from '../support/capture.js';

const message: ActivationCodeMessage = {
  channel: 'sms',
  to: '+44 7700 900123',
  maskedTo: '••• ••• •123',
  code: '834271',
  tokenRequestorName: 'Demo Shop',
  expiresAt: new Date('2026-12-06T20:40:00Z'),
};

/** The development sender of activation codes (Deliver Activation Code): the code to the terminal only. */
describe('the development activation-code sender', () => {
  it('logs that a code was sent and where, masked, and shows the code on the terminal alone', async () => {
    const log = captureStream();
    const revealed: string[] = [];
    const sender = activationCodeSender({
      config: loadConfig({ PUSHPROV_DATA_DIR: '/nonexistent' }),
      logger: createLogger({ level: 'info', format: 'json', destination: log.stream }),
      reveal: (line) => void revealed.push(line),
    });
    await sender.send(message);

    const lines = log.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'activation code sent (development: shown on the terminal)',
      activationCode: { channel: 'sms', to: message.maskedTo, expiresAt: message.expiresAt.toISOString() },
    });
    expect(log.text()).not.toContain(message.code);
    expect(log.text()).not.toContain('7700 900123');
    expect(revealed).toEqual([`activation code for ${message.maskedTo} (Demo Shop): ${message.code}`]);
  });

  it('refuses to send outside the simulator, where the bank has to wire its own SMS and e-mail gateways', async () => {
    const log = captureStream();
    const revealed: string[] = [];
    const config = {
      ...loadConfig({ PUSHPROV_DATA_DIR: '/nonexistent' }),
      mastercardEnv: 'sandbox' as const,
    };
    const sender = activationCodeSender({
      config,
      logger: createLogger({ level: 'info', format: 'json', destination: log.stream }),
      reveal: (line) => void revealed.push(line),
    });
    const refused = await sender.send(message).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PushprovError);
    expect((refused as PushprovError).code).toBe('ACTIVATION_CODE_SENDER_UNAVAILABLE');
    expect(log.lines()).toEqual([]);
    expect(revealed).toEqual([]);
  });
});
