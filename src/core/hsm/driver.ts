import { createRequire } from 'node:module';
import type * as Pkcs11js from 'pkcs11js';
import { HsmError } from './errors.js';

/**
 * pkcs11js, the native PKCS#11 binding, loaded on first use: it is an
 * optional dependency, so a machine that cannot build it still installs and
 * runs pushprov on file keys, and only a `pkcs11:` key asks for it.
 */
export type Pkcs11Driver = typeof Pkcs11js;
export type Pkcs11 = Pkcs11js.PKCS11;
export type Handle = Pkcs11js.Handle;

let driver: Pkcs11Driver | undefined;

export function pkcs11Driver(): Pkcs11Driver {
  if (driver) return driver;
  try {
    driver = createRequire(import.meta.url)('pkcs11js') as Pkcs11Driver;
  } catch (cause) {
    throw new HsmError(
      'HSM_DRIVER_MISSING',
      'pkcs11js (the PKCS#11 binding) is not installed or did not build; `npm install` with a C++ toolchain',
      { cause },
    );
  }
  return driver;
}

/** The CKR_… name of a PKCS#11 failure, or undefined for any other error. */
export function ckr(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  return /^CKR_[A-Z0-9_]+/.exec(message)?.[0];
}
