import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ckr, type Handle, type Pkcs11, pkcs11Driver } from './driver.js';
import { HsmError } from './errors.js';
import { describePkcs11Uri, type Pkcs11Uri } from './uri.js';

/**
 * One key in a PKCS#11 token, with the session it is used through. The
 * module is loaded and initialised once per process (PKCS#11 allows one
 * C_Initialize per application); each key keeps its own logged-in session.
 *
 * When the HSM goes away under a running process (the session closed, the
 * token removed, the library finalised), an operation reconnects once
 * (initialise again if needed, open a session, log in, find the key) and
 * runs again; when that fails it throws HSM_UNAVAILABLE (503) and the next
 * operation tries again. No operation is half done: each is one
 * C_*Init + C_* pair whose result is returned or not at all.
 */
export interface KeyLocation {
  modulePath: string;
  uri: Pkcs11Uri;
  /** The PIN when the URI names none (PUSHPROV_PKCS11_PIN). */
  pin?: string | undefined;
  keyClass: 'private' | 'secret';
}

const modules = new Map<string, Pkcs11>();
/**
 * A digest of the PIN each token was logged in with. PKCS#11 login is one
 * per application and token, so a second key's C_Login only says "already
 * logged in", right PIN or wrong; comparing with the PIN that did log in
 * keeps a wrong one from passing unnoticed.
 */
const loggedIn = new Map<string, Buffer>();

function moduleAt(path: string): Pkcs11 {
  const full = resolve(path);
  let lib = modules.get(full);
  if (lib) return lib;
  const driver = pkcs11Driver();
  lib = new driver.PKCS11();
  try {
    lib.load(full);
  } catch (cause) {
    throw new HsmError('HSM_MODULE_UNLOADABLE', `the PKCS#11 module ${full} cannot be loaded`, { cause });
  }
  initialise(lib, full);
  modules.set(full, lib);
  return lib;
}

function initialise(lib: Pkcs11, path: string): void {
  try {
    lib.C_Initialize();
  } catch (cause) {
    if (ckr(cause) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') return;
    throw new HsmError(
      'HSM_MODULE_UNLOADABLE',
      `the PKCS#11 module ${path} does not initialise (${ckr(cause)})`,
      {
        cause,
      },
    );
  }
}

// Failures that mean the connection to the key is gone, not that the operation was refused.
const LOST = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_ERROR',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_KEY_HANDLE_INVALID',
  'CKR_SLOT_ID_INVALID',
]);

/** The keys this process holds open, for the readiness probe. */
const held = new Set<TokenKey>();

/**
 * Why the held HSM keys named in `names` (as `TokenKey.name` gives them)
 * cannot be used now, one line each; empty when every one's token answers.
 * A session query per key, no signature: cheap enough for every `/readyz`.
 * A key whose session was lost is reconnected here, so the probe turns ready
 * again once the HSM is back. Only the named keys: a process may hold others
 * that are not this server's (a second server, a test run in one process).
 */
export function heldKeysProblems(names: ReadonlySet<string>): string[] {
  // One key may be held twice (two clients signing with it): said once.
  const problems = new Set<string>();
  for (const key of held) {
    if (!names.has(key.name)) continue;
    const problem = key.probe();
    if (problem !== undefined) problems.add(problem);
  }
  return [...problems];
}

export class TokenKey {
  readonly #location: KeyLocation;
  readonly #lib: Pkcs11;
  #session: Handle | undefined;
  #key: Handle | undefined;

  /** Connects now: every start-up failure throws its own HsmError. */
  constructor(location: KeyLocation) {
    this.#location = location;
    this.#lib = moduleAt(location.modulePath);
    try {
      this.#connect();
    } catch (error) {
      throw this.#failed(error);
    }
    held.add(this);
  }

  get name(): string {
    return describePkcs11Uri(this.#location.uri);
  }

  /** Attributes of the key object (read at start-up: modulus, exponent, key type). */
  attributes(types: number[]): Buffer[] {
    return this.run((lib, session, key) =>
      lib
        .C_GetAttributeValue(
          session,
          key,
          types.map((type) => ({ type })),
        )
        .map((a) => a.value),
    );
  }

  /**
   * Runs one operation on the key. A lost connection is re-made once and the
   * operation run again; other PKCS#11 failures are HSM_OPERATION_FAILED.
   */
  run<T>(operation: (lib: Pkcs11, session: Handle, key: Handle) => T): T {
    try {
      return this.#attempt(operation);
    } catch (error) {
      if (!LOST.has(ckr(error) ?? '')) throw this.#failed(error);
    }
    try {
      this.#reconnect();
    } catch (cause) {
      throw new HsmError('HSM_UNAVAILABLE', `the HSM holding ${this.name} is not reachable`, { cause });
    }
    try {
      return this.#attempt(operation);
    } catch (error) {
      if (LOST.has(ckr(error) ?? '')) {
        this.#session = undefined;
        throw new HsmError('HSM_UNAVAILABLE', `the HSM holding ${this.name} is not reachable`, {
          cause: error,
        });
      }
      throw this.#failed(error);
    }
  }

  /** Whether the token still answers for this key, without using the key; the reason when not. */
  probe(): string | undefined {
    try {
      // The token's own state through the key's session: a removed token or a closed session fails here.
      this.run((lib, session) => lib.C_GetTokenInfo(lib.C_GetSessionInfo(session).slotID));
      return undefined;
    } catch (error) {
      return error instanceof HsmError ? `${error.code}: ${error.message}` : String(error);
    }
  }

  /** Ends the session and stops probing the key (the module stays initialised for other keys). */
  close(): void {
    held.delete(this);
    this.#endSession();
  }

  #endSession(): void {
    if (this.#session === undefined) return;
    try {
      this.#lib.C_CloseSession(this.#session);
    } catch {}
    this.#session = undefined;
  }

  #attempt<T>(operation: (lib: Pkcs11, session: Handle, key: Handle) => T): T {
    if (this.#session === undefined || this.#key === undefined) {
      throw new Error('CKR_SESSION_HANDLE_INVALID: no session');
    }
    return operation(this.#lib, this.#session, this.#key);
  }

  #failed(error: unknown): HsmError {
    return error instanceof HsmError
      ? error
      : new HsmError('HSM_OPERATION_FAILED', `${this.name}: ${ckr(error) ?? 'the operation failed'}`, {
          cause: error,
        });
  }

  #reconnect(): void {
    this.#endSession();
    try {
      this.#lib.C_GetSlotList(true);
    } catch (error) {
      if (ckr(error) === 'CKR_CRYPTOKI_NOT_INITIALIZED') initialise(this.#lib, this.#location.modulePath);
    }
    this.#connect();
  }

  #connect(): void {
    const driver = pkcs11Driver();
    const { slot, token } = this.#slot();
    const session = this.#lib.C_OpenSession(slot, driver.CKF_SERIAL_SESSION);
    try {
      this.#login(session, `${resolve(this.#location.modulePath)}|${token}`);
      this.#key = this.#find(session);
      this.#session = session;
    } catch (error) {
      try {
        this.#lib.C_CloseSession(session);
      } catch {}
      throw error;
    }
  }

  #slot(): { slot: Handle; token: string } {
    const { uri, modulePath } = this.#location;
    const trimmed = (s: string) => s.replace(/[ \0]+$/, '');
    for (const slot of this.#lib.C_GetSlotList(true)) {
      let info: ReturnType<Pkcs11['C_GetTokenInfo']>;
      try {
        info = this.#lib.C_GetTokenInfo(slot);
      } catch {
        // A token being removed answers with an error; it is not the one.
        continue;
      }
      if (uri.token !== undefined && trimmed(info.label) !== uri.token) continue;
      if (uri.serial !== undefined && trimmed(info.serialNumber) !== uri.serial) continue;
      if (uri.manufacturer !== undefined && trimmed(info.manufacturerID) !== uri.manufacturer) continue;
      if (uri.model !== undefined && trimmed(info.model) !== uri.model) continue;
      return { slot, token: `${trimmed(info.serialNumber)}|${trimmed(info.label)}` };
    }
    throw new HsmError(
      'HSM_TOKEN_NOT_FOUND',
      `no token${uri.token === undefined ? '' : ` labelled '${uri.token}'`}${uri.serial === undefined ? '' : ` with serial ${uri.serial}`} in ${modulePath}`,
    );
  }

  #login(session: Handle, token: string): void {
    const driver = pkcs11Driver();
    const pin = this.#pin();
    const digest = createHash('sha256').update(pin).digest();
    const wrongPin = (cause?: unknown) =>
      new HsmError('HSM_PIN_INCORRECT', `the PIN for ${this.name} is wrong`, { cause });
    try {
      this.#lib.C_Login(session, driver.CKU_USER, pin);
      loggedIn.set(token, digest);
    } catch (cause) {
      const code = ckr(cause);
      if (code === 'CKR_USER_ALREADY_LOGGED_IN') {
        const known = loggedIn.get(token);
        if (known && !timingSafeEqual(known, digest)) throw wrongPin();
        return;
      }
      if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE') throw wrongPin(cause);
      if (code === 'CKR_PIN_LOCKED') {
        throw new HsmError('HSM_PIN_LOCKED', `the PIN of the token holding ${this.name} is locked`, {
          cause,
        });
      }
      throw cause;
    }
  }

  #pin(): string {
    const { uri, pin } = this.#location;
    if (uri.pinValue !== undefined) return uri.pinValue;
    if (uri.pinSource !== undefined) {
      const path = uri.pinSource.startsWith('file:') ? fileURLToPath(uri.pinSource) : uri.pinSource;
      try {
        return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (cause) {
        throw new HsmError('HSM_PIN_MISSING', `the pin-source of ${this.name} (${path}) cannot be read`, {
          cause,
        });
      }
    }
    if (pin !== undefined) return pin;
    throw new HsmError(
      'HSM_PIN_MISSING',
      `no PIN for ${this.name}: give pin-source in the URI or PUSHPROV_PKCS11_PIN`,
    );
  }

  #find(session: Handle): Handle {
    const driver = pkcs11Driver();
    const { uri, keyClass } = this.#location;
    const wanted = keyClass === 'private' ? 'private' : 'secret-key';
    if (uri.type !== undefined && uri.type !== wanted) {
      throw new HsmError(
        'HSM_KEY_UNSUITABLE',
        `${this.name} names a ${uri.type} object; a ${wanted} key is needed`,
      );
    }
    const template = [
      {
        type: driver.CKA_CLASS,
        value: keyClass === 'private' ? driver.CKO_PRIVATE_KEY : driver.CKO_SECRET_KEY,
      },
      ...(uri.object === undefined ? [] : [{ type: driver.CKA_LABEL, value: uri.object }]),
      ...(uri.id === undefined ? [] : [{ type: driver.CKA_ID, value: uri.id }]),
    ];
    this.#lib.C_FindObjectsInit(session, template);
    let found: Handle[];
    try {
      found = this.#lib.C_FindObjects(session, 2);
    } finally {
      this.#lib.C_FindObjectsFinal(session);
    }
    if (found.length === 0)
      throw new HsmError('HSM_KEY_NOT_FOUND', `no ${wanted} key ${this.name} in the token`);
    if (found.length > 1) {
      throw new HsmError('HSM_KEY_AMBIGUOUS', `${this.name} names more than one ${wanted} key; add id=`);
    }
    return found[0]!;
  }
}
