import { HsmError } from '../core/hsm/errors.js';
import { hsmDecryptionKey, hsmSigningKey, hsmWrappingKey } from '../core/hsm/keys.js';
import { heldKeysProblems } from '../core/hsm/token.js';
import { describePkcs11Uri, isPkcs11Uri, parsePkcs11Uri } from '../core/hsm/uri.js';
import type { RsaDecryptionKey } from '../core/keys/decryption-key.js';
import type { SigningKey } from '../core/keys/signing-key.js';
import type { WrappingKey } from '../core/keys/wrapping-key.js';
import { type Config, HSM_KEY_SETTINGS, SETTINGS } from './config.js';

/**
 * The keys the configuration names by `pkcs11:` URI, opened in the HSM at
 * start-up: module from the URI's `module-path` or PUSHPROV_PKCS11_MODULE,
 * PIN from the URI or PUSHPROV_PKCS11_PIN. A failure keeps its own code
 * (HSM_MODULE_UNLOADABLE, HSM_TOKEN_NOT_FOUND, HSM_PIN_INCORRECT,
 * HSM_KEY_NOT_FOUND, …) and its message starts with the variable that
 * named the key, so the one line the start prints says what to fix.
 */
type Named = 'mastercardSigningKeyPath' | 'mdesEncryptionKeyPath' | 'vaultKek';

function open<T>(
  config: Config,
  setting: Named,
  uri: string,
  make: typeof hsmSigningKey | typeof hsmDecryptionKey | typeof hsmWrappingKey,
): T {
  const env = SETTINGS[setting].env;
  try {
    const parsed = parsePkcs11Uri(uri);
    const modulePath = parsed.modulePath ?? config.pkcs11Module;
    if (modulePath === undefined) {
      throw new HsmError('HSM_MODULE_REQUIRED', `${SETTINGS.pkcs11Module.env} is not set`);
    }
    return make({ modulePath, uri: parsed, pin: config.pkcs11Pin }) as T;
  } catch (error) {
    if (error instanceof HsmError)
      throw new HsmError(error.code, `${env}: ${error.message}`, { cause: error });
    throw error;
  }
}

export const hsmSigningKeyFor = (config: Config, uri: string): SigningKey =>
  open(config, 'mastercardSigningKeyPath', uri, hsmSigningKey);

export const hsmDecryptionKeyFor = (config: Config, uri: string): RsaDecryptionKey =>
  open(config, 'mdesEncryptionKeyPath', uri, hsmDecryptionKey);

export const hsmKekFor =
  (config: Config) =>
  (uri: string): WrappingKey =>
    open(config, 'vaultKek', uri, hsmWrappingKey);

/**
 * The readiness probe of the HSM keys, when the configuration names any: a
 * server that cannot sign, decrypt or open the vault is not ready, and says
 * which key's token is gone.
 */
export function hsmReadiness(config: Config): (() => string[]) | undefined {
  const names = new Set(
    HSM_KEY_SETTINGS.map((key) => config[key] ?? '')
      .filter(isPkcs11Uri)
      .map((uri) => describePkcs11Uri(parsePkcs11Uri(uri))),
  );
  return names.size > 0 ? () => heldKeysProblems(names) : undefined;
}
