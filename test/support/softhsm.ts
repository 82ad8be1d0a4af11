import { execFileSync } from 'node:child_process';
import { type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Pkcs11js from 'pkcs11js';

/**
 * SoftHSM2 for the tests: a token directory of this process's own, made on
 * first use, and tokens in it. SoftHSM reads SOFTHSM2_CONF and scans its
 * tokens once, at C_Initialize, which every test file of a worker shares
 * (isolate: false): so the configuration is set before anything loads the
 * module, and every token a run needs is made up front.
 *
 * Tests that need it skip with `softHsmMissing` as the reason where the
 * Debian package `softhsm2` is not installed (`.ci/run` installs it).
 */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const PIN = '246810';
const SO_PIN = '13579111';
/** The shared token, and spares each test that removes a token takes for itself. */
const TOKENS = ['pushprov', 'spare-1', 'spare-2', 'spare-3', 'spare-4', 'spare-5', 'spare-6'] as const;
export type TokenLabel = (typeof TOKENS)[number];

function missing(): string | false {
  if (!existsSync(SOFTHSM_MODULE))
    return `SoftHSM2 is not installed (${SOFTHSM_MODULE}; apt-get install softhsm2)`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'softhsm2-util is not on PATH (apt-get install softhsm2)';
  }
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch {
    return 'pkcs11js (the PKCS#11 binding) did not build';
  }
  return false;
}

/** Why the SoftHSM2 tests skip, or false when they run. */
export const softHsmMissing: string | false = missing();

let lib: Pkcs11js.PKCS11 | undefined;
let driver: typeof Pkcs11js | undefined;

/** This process's token directory, made (with every token) on first call. */
export function softHsm(): { lib: Pkcs11js.PKCS11; driver: typeof Pkcs11js } {
  if (lib && driver) {
    initialise(lib);
    return { lib, driver };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pushprov-softhsm-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  for (const label of TOKENS) {
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--pin', PIN, '--so-pin', SO_PIN],
      {
        stdio: 'ignore',
      },
    );
  }
  driver = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11js;
  lib = new driver.PKCS11();
  lib.load(SOFTHSM_MODULE);
  initialise(lib);
  return { lib, driver };
}

function initialise(l: Pkcs11js.PKCS11): void {
  try {
    l.C_Initialize();
  } catch (error) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test((error as Error).message)) throw error;
  }
}

function withSession<T>(token: TokenLabel, work: (session: Buffer) => T): T {
  const { lib: l, driver: d } = softHsm();
  const slot = l.C_GetSlotList(true).find((s) => l.C_GetTokenInfo(s).label.trim() === token);
  if (!slot) throw new Error(`token ${token} is gone`);
  const session = l.C_OpenSession(slot, d.CKF_SERIAL_SESSION | d.CKF_RW_SESSION);
  try {
    try {
      l.C_Login(session, d.CKU_USER, PIN);
    } catch (error) {
      if (!/ALREADY_LOGGED_IN/.test((error as Error).message)) throw error;
    }
    return work(session);
  } finally {
    l.C_CloseSession(session);
  }
}

/** Puts an RSA private key into the token under `label` (and its public half, as an HSM import would). */
export function importRsaKey(token: TokenLabel, label: string, privateKey: KeyObject): void {
  const jwk = privateKey.export({ format: 'jwk' });
  const b = (v: string | undefined) => Buffer.from(v ?? '', 'base64url');
  const { lib: l, driver: d } = softHsm();
  withSession(token, (session) => {
    l.C_CreateObject(session, [
      { type: d.CKA_CLASS, value: d.CKO_PRIVATE_KEY },
      { type: d.CKA_KEY_TYPE, value: d.CKK_RSA },
      { type: d.CKA_TOKEN, value: true },
      { type: d.CKA_PRIVATE, value: true },
      { type: d.CKA_SENSITIVE, value: true },
      { type: d.CKA_EXTRACTABLE, value: false },
      { type: d.CKA_SIGN, value: true },
      { type: d.CKA_DECRYPT, value: true },
      { type: d.CKA_LABEL, value: label },
      { type: d.CKA_ID, value: Buffer.from(label) },
      { type: d.CKA_MODULUS, value: b(jwk.n) },
      { type: d.CKA_PUBLIC_EXPONENT, value: b(jwk.e) },
      { type: d.CKA_PRIVATE_EXPONENT, value: b(jwk.d) },
      { type: d.CKA_PRIME_1, value: b(jwk.p) },
      { type: d.CKA_PRIME_2, value: b(jwk.q) },
      { type: d.CKA_EXPONENT_1, value: b(jwk.dp) },
      { type: d.CKA_EXPONENT_2, value: b(jwk.dq) },
      { type: d.CKA_COEFFICIENT, value: b(jwk.qi) },
    ]);
  });
}

/** Generates a non-extractable AES key of `bytes` bytes in the token (a KEK is 32). */
export function generateAesKey(token: TokenLabel, label: string, bytes = 32): void {
  const { lib: l, driver: d } = softHsm();
  withSession(token, (session) => {
    l.C_GenerateKey(session, { mechanism: d.CKM_AES_KEY_GEN }, [
      { type: d.CKA_CLASS, value: d.CKO_SECRET_KEY },
      { type: d.CKA_KEY_TYPE, value: d.CKK_AES },
      { type: d.CKA_VALUE_LEN, value: bytes },
      { type: d.CKA_TOKEN, value: true },
      { type: d.CKA_PRIVATE, value: true },
      { type: d.CKA_SENSITIVE, value: true },
      { type: d.CKA_EXTRACTABLE, value: false },
      { type: d.CKA_ENCRYPT, value: true },
      { type: d.CKA_DECRYPT, value: true },
      { type: d.CKA_LABEL, value: label },
    ]);
  });
}

/** A label no other test uses, so keys made by different tests never meet. */
export const uniqueLabel = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** The RFC 7512 URI of a key, with the PIN as a `pin-value` unless told otherwise. */
export function keyUri(token: TokenLabel, object: string, query = `pin-value=${PIN}`): string {
  return `pkcs11:token=${token};object=${object}${query === '' ? '' : `?${query}`}`;
}

/** Closes every session on the token, as an HSM does when it restarts. */
export function closeAllSessions(token: TokenLabel): void {
  const { lib: l } = softHsm();
  const slot = l.C_GetSlotList(true).find((s) => l.C_GetTokenInfo(s).label.trim() === token);
  if (slot) l.C_CloseAllSessions(slot);
}

/** Finalises the module under everyone in this process (the library goes away). */
export function finalise(): void {
  softHsm().lib.C_Finalize();
}

/** An empty token of that label is made again (an HSM replaced, its keys to be put back); the module rescans its tokens. */
export function recreateToken(token: TokenLabel): void {
  finalise();
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', token, '--pin', PIN, '--so-pin', SO_PIN],
    {
      stdio: 'ignore',
    },
  );
  softHsm();
}

/** The token goes away for good: the module is finalised and the token deleted. */
export function removeToken(token: TokenLabel): void {
  finalise();
  execFileSync('softhsm2-util', ['--delete-token', '--token', token], { stdio: 'ignore' });
}
