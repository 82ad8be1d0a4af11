import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type KeyringSource, loadKeyring } from '../store/vault/keyring.js';
import { Vault } from '../store/vault/vault.js';
import type { Config } from './config.js';
import { hsmKekFor } from './hsm.js';

/**
 * The vault as the configuration describes it. In the simulator with no key
 * configured, a development keyring is created on first start, like the
 * development keys.
 */
export const devKeyringPath = (config: Config): string =>
  resolve(config.dataDir, 'keys', 'vault-keyring.json');

export function keyringSource(config: Config): KeyringSource {
  const configured = config.vaultKeyringPath !== undefined || config.vaultKek !== undefined;
  if (!configured && config.mastercardEnv === 'simulator') {
    return { path: devKeyringPath(config), createIfMissing: true };
  }
  return {
    ...(config.vaultKeyringPath === undefined ? {} : { path: resolve(config.vaultKeyringPath) }),
    ...(config.vaultKek === undefined ? {} : { kek: config.vaultKek }),
  };
}

/** Loads the keyring once; throws ConfigError naming each bad value. */
export function openVault(config: Config, say: (line: string) => void = () => {}): Vault {
  const source = keyringSource(config);
  if (source.createIfMissing && source.path && !existsSync(source.path)) {
    say(`creating a development vault keyring in ${source.path} (first start only)`);
  }
  return new Vault(loadKeyring({ ...source, hsm: hsmKekFor(config) }));
}
