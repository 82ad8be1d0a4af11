import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, isPushprovError } from '../core/errors.js';
import { isPkcs11Uri, parsePkcs11Uri } from '../core/hsm/uri.js';
import { DEFAULT_RATE_LIMITS } from '../http/security/index.js';
import type { BucketLimit as RateLimit } from '../http/security/token-bucket.js';
import { type DevPkiRole, devPkiFiles } from '../mastercard/keys/dev-pki.js';
import { DEFAULT_CONTEXT_ROOT, parseContextRoot } from '../mastercard/pre-digitization/paths.js';
import { isAccessTokenType } from '../service/auth/oidc/options.js';
import {
  UNMATCHED_POLICIES,
  type UnmatchedPolicy,
  WALLET_RISK_POLICIES,
  type WalletRiskPolicy,
} from '../service/mdes/authorize.js';
import { decodeKey } from '../store/vault/keyring.js';

/**
 * Configuration, read once at start-up from environment variables and an
 * optional JSON file (`PUSHPROV_CONFIG`; environment wins), validated as a
 * whole: every bad value is reported by name with what was expected, and
 * nothing starts until all are good. The table below is also the README's.
 */
type Parser<T> = (raw: string) => T | { problem: string };

interface Setting<T> {
  env: string;
  description: string;
  default?: T | ((partial: Partial<Config>) => T);
  parse: Parser<T>;
  /** Never printed; shown as "(set)" in `pushprov config`. */
  secret?: boolean;
  /** How `pushprov config` prints the value, when `String()` would not read back as the variable. */
  show?: (value: T) => string;
}

const port: Parser<number> = (raw) => {
  const n = Number(raw);
  return /^\d+$/.test(raw) && n >= 0 && n <= 65535 ? n : { problem: 'expected a port number 0–65535' };
};
const positiveInt: Parser<number> = (raw) =>
  /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : { problem: 'expected a positive integer' };
const text: Parser<string> = (raw) => (raw.trim() === '' ? { problem: 'expected a non-empty value' } : raw);
const bool: Parser<boolean> = (raw) =>
  /^(1|true|yes|on)$/i.test(raw)
    ? true
    : /^(0|false|no|off)$/i.test(raw)
      ? false
      : { problem: 'expected true or false' };
/** A `pkcs11:` URI (RFC 7512) naming a key in an HSM, checked for syntax here and for the key at start-up. */
const pkcs11Uri: Parser<string> = (raw) => {
  try {
    parsePkcs11Uri(raw);
    return raw.trim();
  } catch (error) {
    if (!isPushprovError(error)) throw error;
    return { problem: error.message };
  }
};
/** A key file, or a key in an HSM. */
const orPkcs11Uri =
  (file: Parser<string>): Parser<string> =>
  (raw) =>
    isPkcs11Uri(raw) ? pkcs11Uri(raw) : file(raw);
const key32: Parser<string> = (raw) =>
  decodeKey(raw) ? raw.trim() : { problem: 'expected base64 of 32 bytes, or a pkcs11: URI' };
/** How a key setting is shown: a URI without its PIN. */
const withoutPin = (value: string | undefined): string =>
  (value ?? '').replace(/([?&])pin-value=[^&]*/, '$1pin-value=(hidden)');
const oneOf =
  <T extends string>(...values: readonly T[]): Parser<T> =>
  (raw) =>
    (values as readonly string[]).includes(raw)
      ? (raw as T)
      : { problem: `expected one of ${values.join(', ')}` };
const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    try {
      const u = new URL(raw);
      return protocols.includes(u.protocol)
        ? raw.replace(/\/$/, '')
        : { problem: `expected a ${protocols.join(' or ')} URL` };
    } catch {
      return { problem: 'expected a URL' };
    }
  };

const existingFile: Parser<string> = (raw) => {
  try {
    return statSync(raw).isFile() ? raw : { problem: 'expected a file, found something else' };
  } catch {
    return { problem: 'file not found' };
  }
};
const contextRoot: Parser<string> = (raw) =>
  parseContextRoot(raw) ?? { problem: 'expected a URL path such as /issuerServices/1/0' };

// Ops API keys: comma-separated, each a key of 32+ characters or `sha256:<64 hex>` (its digest).
const opsKeys: Parser<string[]> = (raw) => {
  const keys = raw.split(',').map((k) => k.trim());
  return keys.every((k) => /^sha256:[0-9a-f]{64}$/i.test(k) || /^[\x21-\x7e]{32,}$/.test(k))
    ? keys
    : { problem: 'expected comma-separated keys of 32+ printable characters or sha256:<64 hex digits>' };
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MASTERCARD_ENVS = ['simulator', 'sandbox', 'mtf', 'production'] as const;

export interface Config {
  host: string;
  issuerPort: number;
  simulatorPort: number;
  merchantPort: number;
  issuerPublicUrl: string;
  simulatorPublicUrl: string;
  merchantPublicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  memory: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'json' | 'pretty' | 'auto';
  shutdownTimeoutMs: number;
  mastercardEnv: (typeof MASTERCARD_ENVS)[number];
  mastercardConsumerKey: string | undefined;
  mastercardSigningKeyPath: string | undefined;
  mastercardSigningKeyAlias: string | undefined;
  mastercardSigningKeyPassword: string | undefined;
  mastercardEncryptionCertPath: string | undefined;
  mastercardEncryptionFingerprint: 'certificate' | 'publicKey';
  mastercardOaepDigest: 'SHA512' | 'SHA256';
  customerServiceConsumerKey: string | undefined;
  customerServiceUrl: string | undefined;
  issuerName: string;
  accountRanges: string[] | undefined;
  clickToPayTokenRequestorId: string;
  receiptValidityMinutes: number;
  unmatchedTokenization: UnmatchedPolicy;
  walletRisk: WalletRiskPolicy;
  simulatorAuthorizationStandIn: 'APPROVED' | 'DECLINED';
  simulatorActivationCodes: 'mdes' | 'issuer';
  simulatorFaults: boolean;
  reconcileSeconds: number;
  opsApiKeys: string[] | undefined;
  sessionIdleMinutes: number;
  sessionMaxMinutes: number;
  scaGrantSeconds: number;
  authMaxFailures: number;
  authLockMinutes: number;
  rateLimitPerIp: RateLimit;
  rateLimitPerCardholder: RateLimit;
  rateLimitSignInPerIp: RateLimit;
  trustProxy: TrustProxy;
  vaultKeyringPath: string | undefined;
  vaultKek: string | undefined;
  mdesPort: number;
  mdesContextRoot: string;
  mdesTlsCa: string | undefined;
  mdesTlsCert: string | undefined;
  mdesTlsKey: string | undefined;
  mdesEncryptionKeyPath: string | undefined;
  mdesEncryptionCertPath: string | undefined;
  mdesClientFingerprints: string[] | undefined;
  pkcs11Module: string | undefined;
  pkcs11Pin: string | undefined;
  oidcIssuer: string | undefined;
  oidcAudience: string;
  oidcAlgorithms: string[];
  oidcAccessTokenTypes: string[];
  oidcCardholderClaim: string;
  oidcClockToleranceSeconds: number;
  oidcClientId: string | undefined;
  oidcClientSecret: string | undefined;
  oidcScopes: string[];
  oidcScaAcr: string[] | undefined;
  oidcScaAmr: string[] | undefined;
  oidcScaMaxAgeSeconds: number;
  oidcIntrospection: boolean;
  oidcIntrospectionClientId: string | undefined;
  oidcIntrospectionClientSecret: string | undefined;
  oidcIntrospectionCacheSeconds: number;
}

const accountRanges: Parser<string[]> = (raw) => {
  const ranges = raw.split(',').map((r) => r.trim());
  return ranges.every((r) => /^\d{9,19}$/.test(r))
    ? ranges
    : { problem: 'expected comma-separated account range prefixes of 9–19 digits' };
};
const trid: Parser<string> = (raw) =>
  /^\d{11}$/.test(raw) ? raw : { problem: 'expected an 11-digit token requestor id' };
const validityMinutes: Parser<number> = (raw) =>
  /^\d+$/.test(raw) && Number(raw) >= 5 && Number(raw) <= 15
    ? Number(raw)
    : { problem: 'expected whole minutes from 5 to 15 (Token Connect pushAccountReceiptsValidityPeriod)' };

const rateLimit: Parser<RateLimit> = (raw) => {
  const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw.trim());
  const [capacity, refill] = [Number(m?.[1]), Number(m?.[2])];
  return m && capacity >= 1 && refill > 0
    ? { capacity, refillPerSecond: refill }
    : { problem: 'expected <burst>/<per second>, e.g. 600/10 (burst ≥ 1, rate > 0)' };
};

const showRateLimit = (limit: RateLimit) => `${limit.capacity}/${limit.refillPerSecond}`;

/** Whom to believe about the client's address (X-Forwarded-For): nobody, n proxy hops, or these addresses. */
type TrustProxy = false | number | string[];
const trustProxy: Parser<TrustProxy> = (raw) => {
  const value = raw.trim();
  if (/^(0|false|no|off)$/i.test(value)) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value.split(',').map((a) => a.trim());
  return addresses.every((a) => /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(a) && /[.:]/.test(a))
    ? addresses
    : { problem: 'expected false, a number of proxy hops, or comma-separated proxy addresses/CIDRs' };
};

/** In the simulator, a file of the development mutual TLS PKI (generated with the development keys). */
const devPkiFile =
  (role: DevPkiRole, file: 'certificate' | 'privateKey') =>
  (c: Partial<Config>): string | undefined =>
    c.mastercardEnv === 'simulator'
      ? devPkiFiles(join(c.dataDir ?? '.pushprov', 'keys'))[role][file]
      : undefined;

const MDES_TLS = ['mdesTlsCa', 'mdesTlsCert', 'mdesTlsKey'] as const;

/** SHA-256 fingerprints of certificates, hex, with or without colons (as `openssl x509 -fingerprint -sha256` prints them). */
const fingerprints: Parser<string[]> = (raw) => {
  const list = raw.split(',').map((f) => f.trim().replace(/:/g, '').toUpperCase());
  return list.every((f) => /^[0-9A-F]{64}$/.test(f))
    ? list
    : {
        problem: 'expected comma-separated SHA-256 certificate fingerprints (64 hex digits, colons allowed)',
      };
};

/**
 * The bank's OpenID provider: https, except on the machine itself (a test's
 * or a developer's provider), where nothing crosses a network.
 */
const issuerUrl: Parser<string> = (raw) => {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { problem: 'expected a URL' };
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    return { problem: 'expected an https URL (http only on a loopback host)' };
  }
  if (u.search !== '' || u.hash !== '')
    return { problem: 'expected an issuer URL without query or fragment' };
  return raw;
};
const nonNegativeInt: Parser<number> = (raw) =>
  /^\d+$/.test(raw) ? Number(raw) : { problem: 'expected a whole number ≥ 0' };
const list =
  (what: string, item: RegExp): Parser<string[]> =>
  (raw) => {
    const items = raw
      .split(/[\s,]+/)
      .map((i) => i.trim())
      .filter(Boolean);
    return items.length > 0 && items.every((i) => item.test(i))
      ? items
      : { problem: `expected ${what}, separated by commas or spaces` };
  };
// Asymmetric signatures only: a shared-secret (HS*) token could be minted by anyone holding the secret.
const JWS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const algorithms: Parser<string[]> = (raw) => {
  const parsed = list('signature algorithms', /^[A-Za-z0-9]+$/)(raw);
  return Array.isArray(parsed) && !parsed.every((a) => JWS_ALGORITHMS.includes(a))
    ? { problem: `expected some of ${JWS_ALGORITHMS.join(', ')}` }
    : parsed;
};
const scopes: Parser<string[]> = (raw) => {
  const parsed = list('scopes', /^[\x21\x23-\x5b\x5d-\x7e]+$/)(raw);
  return Array.isArray(parsed) && !parsed.includes('openid')
    ? { problem: 'expected openid among the scopes' }
    : parsed;
};
// Media types as JOSE writes them in `typ` (RFC 7515 §4.1.9: the `application/` prefix may be left out).
const tokenTypes = list(
  'token types such as at+jwt or JWT',
  /^(application\/)?[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$/,
);
const claimName: Parser<string> = (raw) =>
  /^[A-Za-z0-9_:.\-/]{1,128}$/.test(raw) ? raw : { problem: 'expected a claim name' };
const showList = (items: string[] | undefined) => (items ?? []).join(',');
// The longest a revoked access token may still be accepted for: beyond a few minutes introspection is pointless.
const MAX_INTROSPECTION_CACHE_SECONDS = 300;
const introspectionCacheSeconds: Parser<number> = (raw) =>
  /^\d+$/.test(raw) && Number(raw) <= MAX_INTROSPECTION_CACHE_SECONDS
    ? Number(raw)
    : { problem: `expected whole seconds from 0 to ${MAX_INTROSPECTION_CACHE_SECONDS}` };

const publicUrl = (portKey: 'issuerPort' | 'simulatorPort' | 'merchantPort') => (c: Partial<Config>) =>
  `http://localhost:${c[portKey] ?? 0}`;

export const SETTINGS: { [K in keyof Config]: Setting<Config[K]> } = {
  host: {
    env: 'PUSHPROV_HOST',
    description: 'Interface the servers listen on',
    default: '127.0.0.1',
    parse: text,
  },
  issuerPort: {
    env: 'PUSHPROV_ISSUER_PORT',
    description: 'Issuer API and pages port (0 = any free port)',
    default: 8080,
    parse: port,
  },
  simulatorPort: {
    env: 'PUSHPROV_SIMULATOR_PORT',
    description: 'Mastercard simulator port',
    default: 8081,
    parse: port,
  },
  merchantPort: {
    env: 'PUSHPROV_MERCHANT_PORT',
    description: 'Demo merchant port',
    default: 8082,
    parse: port,
  },
  issuerPublicUrl: {
    env: 'PUSHPROV_ISSUER_URL',
    description: 'Issuer base URL as browsers reach it (callback URLs are built on it)',
    default: publicUrl('issuerPort'),
    parse: url('http:', 'https:'),
  },
  simulatorPublicUrl: {
    env: 'PUSHPROV_SIMULATOR_URL',
    description: 'Simulator base URL as the issuer and merchant reach it',
    default: publicUrl('simulatorPort'),
    parse: url('http:', 'https:'),
  },
  merchantPublicUrl: {
    env: 'PUSHPROV_MERCHANT_URL',
    description: 'Demo merchant base URL as browsers reach it',
    default: publicUrl('merchantPort'),
    parse: url('http:', 'https:'),
  },
  dataDir: {
    env: 'PUSHPROV_DATA_DIR',
    description: 'Embedded database and dev keys live here',
    default: '.pushprov',
    parse: text,
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL URL; when unset, the embedded PGlite database is used',
    parse: url('postgres:', 'postgresql:'),
    secret: true,
  },
  memory: {
    env: 'PUSHPROV_MEMORY',
    description: 'Throw-away in-memory database (same as --memory)',
    default: false,
    parse: bool,
  },
  logLevel: { env: 'LOG_LEVEL', description: 'Log level', default: 'info', parse: oneOf(...LOG_LEVELS) },
  logFormat: {
    env: 'PUSHPROV_LOG_FORMAT',
    description: 'json, pretty, or auto (pretty on a terminal)',
    default: 'auto',
    parse: oneOf('json', 'pretty', 'auto'),
  },
  shutdownTimeoutMs: {
    env: 'PUSHPROV_SHUTDOWN_TIMEOUT_MS',
    description: 'How long in-flight requests may finish after SIGTERM',
    default: 10_000,
    parse: positiveInt,
  },
  mastercardEnv: {
    env: 'MASTERCARD_ENV',
    description: 'simulator (embedded), or sandbox / mtf / production with real keys',
    default: 'simulator',
    parse: oneOf(...MASTERCARD_ENVS),
  },
  mastercardConsumerKey: {
    env: 'MASTERCARD_CONSUMER_KEY',
    description: 'Consumer key from Mastercard Developers (required outside the simulator)',
    parse: text,
  },
  mastercardSigningKeyPath: {
    env: 'MASTERCARD_SIGNING_KEY_PATH',
    description:
      'PKCS#12 or PEM signing key, or a pkcs11: URI (RFC 7512) of the key in an HSM (required outside the simulator; in the simulator only a pkcs11: URI is used, whose token holds the development issuer key)',
    parse: orPkcs11Uri(text),
    show: withoutPin,
  },
  mastercardSigningKeyAlias: {
    env: 'MASTERCARD_SIGNING_KEY_ALIAS',
    description: 'Key alias inside the PKCS#12',
    parse: text,
  },
  mastercardSigningKeyPassword: {
    env: 'MASTERCARD_SIGNING_KEY_PASSWORD',
    description: 'PKCS#12 password',
    parse: text,
    secret: true,
  },
  mastercardEncryptionCertPath: {
    env: 'MASTERCARD_ENCRYPTION_CERT_PATH',
    description: "Mastercard's encryption certificate (PEM or DER; required outside the simulator)",
    parse: text,
  },
  mastercardEncryptionFingerprint: {
    env: 'MASTERCARD_ENCRYPTION_FINGERPRINT',
    description:
      "What publicKeyFingerprint names: the encryption certificate's SHA-256 (Mastercard's MDES presets) or its public key's",
    default: 'certificate',
    parse: oneOf('certificate', 'publicKey'),
  },
  mastercardOaepDigest: {
    env: 'MASTERCARD_OAEP_DIGEST',
    description: "The OAEP digest that wraps each payload's key (Mastercard's MDES presets: SHA512)",
    default: 'SHA512',
    parse: oneOf('SHA512', 'SHA256'),
  },
  customerServiceConsumerKey: {
    env: 'MASTERCARD_CS_CONSUMER_KEY',
    description:
      "Consumer key of the Mastercard Developers project holding MDES Customer Service (may be MASTERCARD_CONSUMER_KEY's), signed with MASTERCARD_SIGNING_KEY_PATH's key; unset outside the simulator: saved-card changes and card follow-ups are refused with TOKEN_MANAGEMENT_UNAVAILABLE",
    parse: text,
  },
  customerServiceUrl: {
    env: 'MASTERCARD_CS_URL',
    description:
      "Base URL of MDES Customer Service; default the environment's (sandbox https://sandbox.api.mastercard.com/mdes/csapi/v2, mtf https://api.mastercard.com/mdes/csapi/mtf/v2, production https://api.mastercard.com/mdes/csapi/v2; simulator: the simulator's /mdes/csapi/v2)",
    parse: url('https:', 'http:'),
  },
  issuerName: {
    env: 'PUSHPROV_ISSUER_NAME',
    description: "The bank's name, sent to MDES Customer Service as AuditInfo.Organization",
    default: 'Pushprov Bank',
    parse: text,
  },
  accountRanges: {
    env: 'PUSHPROV_ACCOUNT_RANGES',
    description:
      "The issuer's MDES account ranges (comma-separated prefixes); unset in the simulator: the simulator's enrolled ranges",
    parse: accountRanges,
  },
  clickToPayTokenRequestorId: {
    env: 'PUSHPROV_CLICK_TO_PAY_TRID',
    description: "Click to Pay's token requestor id, listed first among destinations",
    default: '50123197928',
    parse: trid,
  },
  receiptValidityMinutes: {
    env: 'PUSHPROV_RECEIPT_VALIDITY_MINUTES',
    description: 'How long a pushAccountReceipt stays valid (5–15 minutes)',
    default: 15,
    parse: validityMinutes,
  },
  unmatchedTokenization: {
    env: 'PUSHPROV_UNMATCHED_TOKENIZATION',
    description:
      "MDES asks before creating a token: one of the issuer's pushes is approved; any other tokenization is declined (decline) or approved only after more authentication in the bank's app (additional-authentication)",
    default: 'decline',
    parse: oneOf(...UNMATCHED_POLICIES),
  },
  walletRisk: {
    env: 'PUSHPROV_WALLET_RISK',
    description:
      "What Authorize Service makes of the wallet's risk data (walletProviderDecisioningInfo): follow declines on its recommendation to decline, and asks the cardholder to confirm (even for the bank's own push) on a recommendation of more authentication or a lowest score (1); ignore leaves them to the audit",
    default: 'follow',
    parse: oneOf(...WALLET_RISK_POLICIES),
  },
  simulatorAuthorizationStandIn: {
    env: 'PUSHPROV_SIMULATOR_STAND_IN',
    description:
      "The simulated MDES's decision when the issuer does not answer its authorization request in time",
    default: 'DECLINED',
    parse: oneOf('APPROVED', 'DECLINED'),
  },
  simulatorActivationCodes: {
    env: 'PUSHPROV_SIMULATOR_ACTIVATION_CODES',
    description:
      "Who makes and checks activation codes at the simulated MDES: mdes (Deliver Activation Code carries MDES's code) or issuer (the issuer makes the code, and MDES asks it with Validate Activation Code)",
    default: 'mdes',
    parse: oneOf('mdes', 'issuer'),
  },
  simulatorFaults: {
    env: 'PUSHPROV_SIMULATOR_FAULTS',
    description:
      "Serve the simulated MDES's fault injector at /_faults (its own routes and its calls to the issuer's Pre-Digitization services) and its drills at /_ops (an activation code typed in the wallet, suspicious events on a token); development and tests only, never on a shared deployment",
    default: false,
    parse: bool,
  },
  reconcileSeconds: {
    env: 'PUSHPROV_RECONCILE_SECONDS',
    description:
      'How often pushes left pending (crash, lost answer) are reconciled; one is asked about again once pending twice this long',
    default: 15,
    parse: positiveInt,
  },
  opsApiKeys: {
    env: 'PUSHPROV_OPS_API_KEYS',
    description:
      'Ops API keys, comma-separated, each the key or sha256:<hex digest>; unset in the simulator: one is generated under <dataDir>/keys',
    parse: opsKeys,
    secret: true,
  },
  sessionIdleMinutes: {
    env: 'PUSHPROV_SESSION_IDLE_MINUTES',
    description: 'A cardholder session ends after this long without a request',
    default: 30,
    parse: positiveInt,
  },
  sessionMaxMinutes: {
    env: 'PUSHPROV_SESSION_MAX_MINUTES',
    description: 'A cardholder session ends this long after sign-in, however active',
    default: 720,
    parse: positiveInt,
  },
  scaGrantSeconds: {
    env: 'PUSHPROV_SCA_GRANT_SECONDS',
    description: 'How long an SCA grant (earned by a step-up) allows pushes',
    default: 300,
    parse: positiveInt,
  },
  authMaxFailures: {
    env: 'PUSHPROV_AUTH_MAX_FAILURES',
    description: 'Wrong passwords (per username) or one-time codes (per cardholder) before a lock',
    default: 5,
    parse: positiveInt,
  },
  authLockMinutes: {
    env: 'PUSHPROV_AUTH_LOCK_MINUTES',
    description: 'How long such a lock lasts',
    default: 15,
    parse: positiveInt,
  },
  rateLimitPerIp: {
    env: 'PUSHPROV_RATE_LIMIT_PER_IP',
    description: 'Requests per client address: burst/per second (probes and metrics are not limited)',
    default: DEFAULT_RATE_LIMITS.perIp,
    parse: rateLimit,
    show: showRateLimit,
  },
  rateLimitPerCardholder: {
    env: 'PUSHPROV_RATE_LIMIT_PER_CARDHOLDER',
    description: 'Requests per signed-in cardholder, whatever address or session: burst/per second',
    default: DEFAULT_RATE_LIMITS.perCardholder,
    parse: rateLimit,
    show: showRateLimit,
  },
  rateLimitSignInPerIp: {
    env: 'PUSHPROV_RATE_LIMIT_SIGN_IN_PER_IP',
    description: 'Sign-ins (each a password hash) per client address: burst/per second',
    default: DEFAULT_RATE_LIMITS.signInPerIp,
    parse: rateLimit,
    show: showRateLimit,
  },
  trustProxy: {
    env: 'PUSHPROV_TRUST_PROXY',
    description:
      "Behind a proxy: its hop count or addresses (CIDRs), so per-address limits and logs see the client's address; false when exposed directly",
    default: false,
    parse: trustProxy,
  },
  vaultKeyringPath: {
    env: 'PUSHPROV_VAULT_KEYRING',
    description:
      'Vault keyring file (key-encryption keys and the blind-index key), written by `pushprov keys rotate`; unset in the simulator: created under <dataDir>/keys',
    parse: text,
  },
  vaultKek: {
    env: 'PUSHPROV_VAULT_KEK',
    description:
      'One vault key-encryption key, base64 of 32 bytes, or a pkcs11: URI of an AES-256 key in an HSM (which needs the keyring file too): alone, or added to the keyring file',
    parse: (raw) => (isPkcs11Uri(raw) ? pkcs11Uri(raw) : key32(raw)),
    secret: true,
  },
  mdesPort: {
    env: 'PUSHPROV_MDES_PORT',
    description:
      "Port of the issuer's MDES listener: the Pre-Digitization web services MDES calls, HTTPS with mutual TLS (0 = any free port)",
    default: 8083,
    parse: port,
  },
  mdesContextRoot: {
    env: 'PUSHPROV_MDES_CONTEXT_ROOT',
    description:
      'Context root of the Pre-Digitization web services on the MDES listener, as registered with Mastercard Developers',
    default: DEFAULT_CONTEXT_ROOT,
    parse: contextRoot,
  },
  mdesTlsCa: {
    env: 'PUSHPROV_MDES_TLS_CA',
    description:
      'CA certificate(s), PEM: the MDES listener accepts only client certificates that chain to them; simulator default: the development CA <dataDir>/keys/mtls-ca.crt.pem',
    default: devPkiFile('ca', 'certificate'),
    parse: existingFile,
  },
  mdesTlsCert: {
    env: 'PUSHPROV_MDES_TLS_CERT',
    description:
      "The MDES listener's server certificate, PEM (intermediates after it); simulator default: <dataDir>/keys/mdes-listener.crt.pem",
    default: devPkiFile('server', 'certificate'),
    parse: existingFile,
  },
  mdesTlsKey: {
    env: 'PUSHPROV_MDES_TLS_KEY',
    description:
      "The MDES listener's private key, PEM; simulator default: <dataDir>/keys/mdes-listener.key.pem",
    default: devPkiFile('server', 'privateKey'),
    parse: existingFile,
  },
  mdesEncryptionKeyPath: {
    env: 'PUSHPROV_MDES_ENCRYPTION_KEY',
    description:
      "The issuer's Pre-Digitization encryption private key (PEM, or PKCS#12 without a password): MDES encrypts card data and PII in its requests to the certificate on-boarded with Mastercard Developers; required for the MDES listener outside the simulator (simulator: the development issuer encryption key); or a pkcs11: URI of the key in an HSM",
    parse: orPkcs11Uri(existingFile),
    show: withoutPin,
  },
  mdesClientFingerprints: {
    env: 'PUSHPROV_MDES_CLIENT_FINGERPRINTS',
    description:
      "Pins MDES's client certificate(s) on top of PUSHPROV_MDES_TLS_CA: SHA-256 fingerprints, comma-separated; a client certificate of the CA that is not one of them is refused before any route runs. Unset: every certificate of the CA is let in",
    parse: fingerprints,
    show: (list) => (list ?? []).join(','),
  },
  mdesEncryptionCertPath: {
    env: 'PUSHPROV_MDES_ENCRYPTION_CERT',
    description:
      "That key's certificate (PEM or DER), so a publicKeyFingerprint of the certificate is recognised too; optional",
    parse: existingFile,
  },
  pkcs11Module: {
    env: 'PUSHPROV_PKCS11_MODULE',
    description:
      "The HSM vendor's PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so); required when a key setting is a pkcs11: URI without module-path",
    parse: existingFile,
  },
  pkcs11Pin: {
    env: 'PUSHPROV_PKCS11_PIN',
    description:
      'The HSM user PIN for pkcs11: URIs that carry neither pin-source (a file holding the PIN, preferred) nor pin-value',
    parse: text,
    secret: true,
  },
  oidcIssuer: {
    env: 'PUSHPROV_OIDC_ISSUER',
    description:
      "The bank's OpenID provider (its issuer URL, https): cardholders sign in there, the API accepts its access tokens, and its step-up yields the SCA grant (docs/oidc.md). Unset: pushprov's own demo sign-in",
    parse: issuerUrl,
  },
  oidcAudience: {
    env: 'PUSHPROV_OIDC_AUDIENCE',
    description: "The `aud` the provider's access tokens carry for pushprov; default PUSHPROV_ISSUER_URL",
    default: (c) => c.issuerPublicUrl ?? '',
    parse: text,
  },
  oidcAlgorithms: {
    env: 'PUSHPROV_OIDC_ALGORITHMS',
    description: 'Signature algorithms accepted on access and ID tokens (asymmetric only), comma-separated',
    default: ['RS256', 'PS256', 'ES256'],
    parse: algorithms,
    show: showList,
  },
  oidcAccessTokenTypes: {
    env: 'PUSHPROV_OIDC_ACCESS_TOKEN_TYPES',
    description:
      "The `typ` header values accepted on the provider's access tokens, comma-separated: at+jwt (RFC 9068), and JWT for providers that mark theirs so (Keycloak's default)",
    default: ['at+jwt'],
    parse: tokenTypes,
    show: showList,
  },
  oidcCardholderClaim: {
    env: 'PUSHPROV_OIDC_CARDHOLDER_CLAIM',
    description:
      "The token claim holding the cardholder's external reference of the card import (`sub` when the provider's subject is that reference)",
    default: 'sub',
    parse: claimName,
  },
  oidcClockToleranceSeconds: {
    env: 'PUSHPROV_OIDC_CLOCK_TOLERANCE_SECONDS',
    description: "Leeway for the provider's clock on exp, iat, nbf and auth_time",
    default: 30,
    parse: nonNegativeInt,
  },
  oidcClientId: {
    env: 'PUSHPROV_OIDC_CLIENT_ID',
    description:
      "pushprov's client id at the provider, for the bank pages' sign-in and step-up (authorization code flow with PKCE; redirect URI <PUSHPROV_ISSUER_URL>/app/oidc/callback); required with PUSHPROV_OIDC_ISSUER",
    parse: text,
  },
  oidcClientSecret: {
    env: 'PUSHPROV_OIDC_CLIENT_SECRET',
    description: 'Its client secret (client_secret_basic); unset: a public client, PKCE alone',
    parse: text,
    secret: true,
  },
  oidcScopes: {
    env: 'PUSHPROV_OIDC_SCOPES',
    description: 'Scopes the bank pages ask for, openid among them',
    default: ['openid'],
    parse: scopes,
    show: showList,
  },
  oidcScaAcr: {
    env: 'PUSHPROV_OIDC_SCA_ACR',
    description:
      'acr values of the provider that count as strong customer authentication (any one); the pages ask for them as acr_values on step-up',
    parse: list('acr values', /^[\x21-\x7e]+$/),
    show: showList,
  },
  oidcScaAmr: {
    env: 'PUSHPROV_OIDC_SCA_AMR',
    description: 'amr values that count as strong customer authentication (any one, e.g. mfa,hwk)',
    parse: list('amr values', /^[\x21-\x7e]+$/),
    show: showList,
  },
  oidcScaMaxAgeSeconds: {
    env: 'PUSHPROV_OIDC_SCA_MAX_AGE_SECONDS',
    description:
      "How recent the provider's strong authentication (auth_time) must be to yield an SCA grant; sent as max_age on step-up",
    default: 300,
    parse: positiveInt,
  },
  oidcIntrospection: {
    env: 'PUSHPROV_OIDC_INTROSPECTION',
    description:
      "on: each access token, once valid as a JWT, is also asked about at the provider's introspection endpoint (RFC 7662, from its discovery document), so a token revoked there is refused within PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS; the endpoint unreachable: 503 IDENTITY_PROVIDER_UNAVAILABLE. off: a token is good until it expires",
    default: false,
    parse: bool,
    show: (on) => (on ? 'on' : 'off'),
  },
  oidcIntrospectionClientId: {
    env: 'PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID',
    description:
      'The client pushprov authenticates as at the introspection endpoint (client_secret_basic); default PUSHPROV_OIDC_CLIENT_ID',
    parse: text,
  },
  oidcIntrospectionClientSecret: {
    env: 'PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET',
    description:
      'Its secret; default PUSHPROV_OIDC_CLIENT_SECRET when the client is pushprov’s own; one of the two is required with PUSHPROV_OIDC_INTROSPECTION=on',
    parse: text,
    secret: true,
  },
  oidcIntrospectionCacheSeconds: {
    env: 'PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS',
    description:
      "How long the provider's answer that a token is active is kept (never past the token's exp; an inactive answer or a failure is never kept): the window in which a revocation at the provider is not yet seen; 0 asks on every request",
    default: 30,
    parse: introspectionCacheSeconds,
  },
};

/** The settings that may name a key in an HSM. */
export const HSM_KEY_SETTINGS = ['mastercardSigningKeyPath', 'mdesEncryptionKeyPath', 'vaultKek'] as const;

const INTROSPECTION_SETTINGS = [
  'oidcIntrospectionClientId',
  'oidcIntrospectionClientSecret',
  'oidcIntrospectionCacheSeconds',
] as const;

const OIDC_SETTINGS = [
  'oidcAudience',
  'oidcAlgorithms',
  'oidcAccessTokenTypes',
  'oidcCardholderClaim',
  'oidcClockToleranceSeconds',
  'oidcClientId',
  'oidcClientSecret',
  'oidcScopes',
  'oidcScaAcr',
  'oidcScaAmr',
  'oidcScaMaxAgeSeconds',
  'oidcIntrospection',
  ...INTROSPECTION_SETTINGS,
] as const;

/** OIDC settings go with an issuer, and an issuer needs a client and a rule for what counts as strong. */
function oidcProblems(config: Config, given: ReadonlySet<keyof Config>): string[] {
  const issuer = SETTINGS.oidcIssuer.env;
  if (config.oidcIssuer === undefined) {
    return given.has('oidcIssuer')
      ? []
      : OIDC_SETTINGS.filter((k) => given.has(k)).map((k) => `${SETTINGS[k].env}: only used with ${issuer}`);
  }
  const problems: string[] = [];
  if (config.oidcClientId === undefined)
    problems.push(`${SETTINGS.oidcClientId.env}: required with ${issuer}`);
  if (config.oidcScaAcr === undefined && config.oidcScaAmr === undefined) {
    problems.push(
      `${SETTINGS.oidcScaAcr.env} or ${SETTINGS.oidcScaAmr.env}: required with ${issuer} (which of the provider's authentications count as strong)`,
    );
  }
  // An ID token is addressed to the client: with pushprov's client id as the audience and typ no longer
  // telling the two apart, an ID token of pushprov's sign-in would pass as an access token.
  if (
    config.oidcAudience === config.oidcClientId &&
    config.oidcAccessTokenTypes.some((t) => !isAccessTokenType(t))
  ) {
    problems.push(
      `${SETTINGS.oidcAudience.env}: must differ from ${SETTINGS.oidcClientId.env} when ${SETTINGS.oidcAccessTokenTypes.env} accepts more than at+jwt (an ID token would pass as an access token)`,
    );
  }
  problems.push(...introspectionProblems(config, given));
  return problems;
}

/** Introspection settings go with introspection on, and introspection needs a client that can authenticate. */
function introspectionProblems(config: Config, given: ReadonlySet<keyof Config>): string[] {
  const on = `${SETTINGS.oidcIntrospection.env}=on`;
  if (!config.oidcIntrospection) {
    return INTROSPECTION_SETTINGS.filter((k) => given.has(k)).map(
      (k) => `${SETTINGS[k].env}: only used with ${on}`,
    );
  }
  const secret = SETTINGS.oidcIntrospectionClientSecret.env;
  // Another client's id with pushprov's own secret would never authenticate.
  if (config.oidcIntrospectionClientId !== undefined && config.oidcIntrospectionClientSecret === undefined)
    return [`${secret}: required with ${SETTINGS.oidcIntrospectionClientId.env}`];
  if (config.oidcIntrospectionClientSecret === undefined && config.oidcClientSecret === undefined)
    return [
      `${secret}: required with ${on} (the introspection endpoint authenticates its caller), unless ${SETTINGS.oidcClientSecret.env} is set`,
    ];
  return [];
}

type Source = Record<string, string | undefined>;

/** Reads and validates the whole configuration; throws one ConfigError naming every bad value. */
export function loadConfig(env: Source = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const fileValues = readConfigFile(env.PUSHPROV_CONFIG, problems);
  const out: Partial<Record<keyof Config, unknown>> = {};
  const keys = Object.keys(SETTINGS) as (keyof Config)[];
  const deferred: (keyof Config)[] = [];
  const given = new Set<keyof Config>();
  for (const key of keys) {
    const setting = SETTINGS[key] as Setting<unknown>;
    if (key in overrides) {
      out[key] = overrides[key];
      continue;
    }
    const raw = env[setting.env] ?? fileValues[setting.env];
    if (raw === undefined || raw === '') {
      if (typeof setting.default === 'function') deferred.push(key);
      else out[key] = setting.default;
      continue;
    }
    given.add(key);
    const parsed = setting.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && 'problem' in parsed) {
      problems.push(
        `${setting.env}=${setting.secret ? '(hidden)' : JSON.stringify(withoutPin(raw))}: ${parsed.problem}`,
      );
    } else {
      out[key] = parsed;
    }
  }
  for (const key of deferred) {
    const def = SETTINGS[key].default as (c: Partial<Config>) => unknown;
    out[key] = def(out as Partial<Config>);
  }
  const config = out as Config;
  if (config.mastercardEnv !== 'simulator') {
    for (const key of [
      'mastercardConsumerKey',
      'mastercardSigningKeyPath',
      'mastercardEncryptionCertPath',
      'accountRanges',
    ] as const) {
      if (config[key] === undefined) {
        problems.push(`${SETTINGS[key].env}: required when MASTERCARD_ENV=${config.mastercardEnv}`);
      }
    }
  }
  problems.push(...mdesTlsProblems(config, given));
  problems.push(...oidcProblems(config, given));
  if (config.mastercardEnv !== 'simulator' && given.has('mdesTlsKey') && !config.mdesEncryptionKeyPath) {
    problems.push(
      `${SETTINGS.mdesEncryptionKeyPath.env}: required for the MDES listener when MASTERCARD_ENV=${config.mastercardEnv}`,
    );
  }
  for (const key of HSM_KEY_SETTINGS) {
    const value = config[key];
    if (
      value !== undefined &&
      isPkcs11Uri(value) &&
      !config.pkcs11Module &&
      !parsePkcs11Uri(value).modulePath
    ) {
      problems.push(`${SETTINGS.pkcs11Module.env}: required, since ${SETTINGS[key].env} is a pkcs11: URI`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The MDES listener's certificate and key go together, whoever gives them.
 * Outside the simulator there are no development defaults: the listener
 * runs when all three files are given, and not at all when none is.
 */
function mdesTlsProblems(config: Config, given: ReadonlySet<keyof Config>): string[] {
  const problems: string[] = [];
  const [, cert, key] = MDES_TLS;
  if (given.has(cert) !== given.has(key)) {
    const missing = given.has(cert) ? key : cert;
    const other = given.has(cert) ? cert : key;
    problems.push(`${SETTINGS[missing].env}: required with ${SETTINGS[other].env}`);
  }
  if (config.mastercardEnv !== 'simulator' && MDES_TLS.some((k) => given.has(k))) {
    for (const k of MDES_TLS) {
      if (!given.has(k) && !problems.some((p) => p.startsWith(`${SETTINGS[k].env}:`))) {
        problems.push(
          `${SETTINGS[k].env}: required for the MDES listener when MASTERCARD_ENV=${config.mastercardEnv}`,
        );
      }
    }
  }
  return problems;
}

function readConfigFile(path: string | undefined, problems: string[]): Source {
  if (path === undefined || path === '') return {};
  const full = resolve(path);
  if (!existsSync(full)) {
    problems.push(`PUSHPROV_CONFIG=${JSON.stringify(path)}: file not found`);
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(full, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`PUSHPROV_CONFIG=${JSON.stringify(path)}: expected a JSON object of VARIABLE: "value"`);
      return {};
    }
    const out: Source = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
        problems.push(`PUSHPROV_CONFIG ${k}: expected a string, number or boolean`);
      } else out[k] = String(v);
    }
    const known = new Set(Object.values(SETTINGS).map((s) => s.env));
    for (const k of Object.keys(out))
      if (!known.has(k)) problems.push(`PUSHPROV_CONFIG ${k}: unknown setting`);
    return out;
  } catch {
    problems.push(`PUSHPROV_CONFIG=${JSON.stringify(path)}: not valid JSON`);
    return {};
  }
}

/** The configuration as a printable table, secrets hidden (for `pushprov config`). */
export function describeConfig(config: Config): string[][] {
  return (Object.keys(SETTINGS) as (keyof Config)[]).map((key) => {
    const s = SETTINGS[key] as Setting<unknown>;
    const v = config[key];
    const shown = v === undefined ? '' : s.secret ? '(set)' : (s.show ?? String)(v);
    return [s.env, shown, s.description];
  });
}
