/**
 * The two browser hops around a Token Connect push, as MDESRQ ("MDES Token
 * Connect – Token Requestor Implementation Guide and Specification", Dec
 * 2021) specifies them in "Communication specifications": the issuer sends
 * the cardholder to the token requestor's push URI with the receipts and its
 * callback URL in the query string (p. 47–50), either in clear or inside
 * MDES's JWS (`pushAccountData`, "Signature verification", p. 41–45); the
 * token requestor sends the cardholder back to the callback URL with one
 * result per receipt (p. 51–53). Both sides of pushprov — the issuer, and
 * the token requestors the simulator plays — read and write it here.
 * docs/mastercard/handover.md lists each name with its page.
 */

/** The query parameter carrying MDES's JWS when issuer and token requestor both support signatures. */
export const PUSH_ACCOUNT_DATA = 'pushAccountData';

/** What the issuer tells the token requestor, signed or not. */
export interface Handover {
  pushAccountReceipts: string[];
  /** Absent: the cardholder stays with the token requestor. */
  callbackURL?: string;
  /** Default true when callbackURL is given. */
  callbackRequired?: boolean;
  /** Default true. Wallets only. */
  completeIssuerAppActivation?: boolean;
  /** Default true. Wallets only. */
  completeWebsiteActivation?: boolean;
  /** Default false. */
  accountHolderDataSupplied?: boolean;
  /** ISO 639-1 lowercase, `_`, ISO 3166-1 alpha-2 uppercase: `en_US`. */
  locale?: string;
}

/** What arrives at a push URI: MDES's JWS to verify first, or the parameters in clear. */
export type ReceivedHandover = { form: 'signed'; jws: string } | { form: 'unsigned'; handover: Handover };

export type HandoverProblem =
  | 'RECEIPT_MISSING'
  | 'RECEIPT_INVALID'
  | 'CALLBACK_INVALID'
  | 'FLAG_INVALID'
  | 'LOCALE_INVALID'
  | 'SIGNED_DATA_INVALID'
  | 'RESULTS_INVALID';

export class HandoverError extends Error {
  constructor(
    readonly problem: HandoverProblem,
    message: string = problem,
  ) {
    super(message);
  }
}

/** A 3-character product prefix (MCC, DMC, MSI, PVL) and a UUID-like rest, at most 64 characters (p. 47). */
const RECEIPT = /^(MCC|DMC|MSI|PVL)-[A-Za-z0-9-]{1,60}$/;
const LOCALE = /^[a-z]{2}_[A-Z]{2}$/;
/** MDES's token unique reference: 48 to 64 characters (Digital Enablement API 1.3.3, TokenizeResults). */
const TOKEN_UNIQUE_REFERENCE = /^[A-Za-z0-9]{48,64}$/;
/** Never a place a token requestor may send a browser. */
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);
/** MDESRQ: the receipts are separated by commas, the booleans are not case sensitive. */
const FLAGS = [
  'callbackRequired',
  'completeIssuerAppActivation',
  'completeWebsiteActivation',
  'accountHolderDataSupplied',
] as const;

const isReceipt = (value: string): boolean => RECEIPT.test(value);

/**
 * The push URI with the handover appended: `pushAccountData=<JWS>` when MDES
 * signed the push for a token requestor that supports it, otherwise
 * `pushAccountReceipts=a,b&callbackURL=<URL-encoded>` and the flags given.
 */
export function pushUrl(pushUri: string, handover: { jws: string } | Handover): string {
  const pairs: string[] = [];
  if ('jws' in handover) {
    pairs.push(`${PUSH_ACCOUNT_DATA}=${handover.jws}`);
  } else {
    // Receipts are [A-Z0-9-] only, so the commas stay readable as MDESRQ writes them.
    pairs.push(`pushAccountReceipts=${handover.pushAccountReceipts.map(encodeURIComponent).join(',')}`);
    if (handover.callbackURL !== undefined)
      pairs.push(`callbackURL=${encodeURIComponent(handover.callbackURL)}`);
    for (const flag of FLAGS) {
      const value = handover[flag];
      if (value !== undefined) pairs.push(`${flag}=${value}`);
    }
    if (handover.locale !== undefined) pairs.push(`locale=${encodeURIComponent(handover.locale)}`);
  }
  return appendQuery(pushUri, pairs);
}

/** The token requestor's reading of its push URI's query; shapes only, the JWS is not verified here. */
export function readHandover(query: URLSearchParams): ReceivedHandover {
  const jws = query.get(PUSH_ACCOUNT_DATA);
  if (jws !== null) {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws) || jws.length > 8192) {
      throw new HandoverError('SIGNED_DATA_INVALID');
    }
    return { form: 'signed', jws };
  }
  const receipts = (query.get('pushAccountReceipts') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const handover: Handover = { pushAccountReceipts: receipts };
  const callbackURL = query.get('callbackURL');
  if (callbackURL !== null) handover.callbackURL = callbackURL;
  for (const flag of FLAGS) {
    const value = query.get(flag);
    if (value === null) continue;
    const lower = value.toLowerCase();
    if (lower !== 'true' && lower !== 'false')
      throw new HandoverError('FLAG_INVALID', `${flag} is not a boolean`);
    handover[flag] = lower === 'true';
  }
  const locale = query.get('locale');
  if (locale !== null) handover.locale = locale;
  return { form: 'unsigned', handover: checkHandover(handover) };
}

/**
 * The claims of MDES's JWS, once verified, as the recorded sandbox exchange
 * signs them: `pushAccountReceipts`, `callbackURL`, the flags, `locale`.
 */
export function handoverFromClaims(claims: Record<string, unknown>): Handover {
  const receipts = claims.pushAccountReceipts;
  if (!Array.isArray(receipts) || !receipts.every((r) => typeof r === 'string')) {
    throw new HandoverError('SIGNED_DATA_INVALID', 'the signed data names no receipts');
  }
  const handover: Handover = { pushAccountReceipts: receipts as string[] };
  if (claims.callbackURL !== undefined) {
    if (typeof claims.callbackURL !== 'string') throw new HandoverError('SIGNED_DATA_INVALID');
    handover.callbackURL = claims.callbackURL;
  }
  for (const flag of FLAGS) {
    const value = claims[flag];
    if (value === undefined) continue;
    if (typeof value !== 'boolean')
      throw new HandoverError('SIGNED_DATA_INVALID', `${flag} is not a boolean`);
    handover[flag] = value;
  }
  if (claims.locale !== undefined) {
    if (typeof claims.locale !== 'string') throw new HandoverError('SIGNED_DATA_INVALID');
    handover.locale = claims.locale;
  }
  return checkHandover(handover);
}

function checkHandover(handover: Handover): Handover {
  if (handover.pushAccountReceipts.length === 0) throw new HandoverError('RECEIPT_MISSING');
  if (handover.pushAccountReceipts.some((r) => !isReceipt(r))) throw new HandoverError('RECEIPT_INVALID');
  if (handover.callbackURL !== undefined && !safeCallback(handover.callbackURL)) {
    throw new HandoverError('CALLBACK_INVALID');
  }
  if (handover.locale !== undefined && !LOCALE.test(handover.locale))
    throw new HandoverError('LOCALE_INVALID');
  return handover;
}

/** An absolute URL with a scheme (https, or a bank app's custom scheme), never a script. */
function safeCallback(value: string): boolean {
  if (value.length > 256) return false;
  try {
    const url = new URL(value);
    return !UNSAFE_SCHEMES.has(url.protocol) && (url.protocol !== 'http:' || url.hostname !== '');
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The return: results appended to the callback URL (MDESRQ p. 51–53, and the
// outcome tables of "Display provisioning results" p. 30–33 and
// "Post-Tokenization Authentication" p. 40).
// ---------------------------------------------------------------------------

export const TOKENIZATION_RESULTS = [
  'APPROVED',
  'REQUIRE_ADDITIONAL_AUTHENTICATION',
  'DECLINED',
  'CANCELLED',
  'ERROR',
  // A merchant supporting post-tokenization authentication (p. 40).
  'AUTHENTICATED',
  'DELETED',
  // A token duplicating one the consumer already has (p. 33).
  'DUPLICATE_REQUEST',
] as const;
export type TokenizationResult = (typeof TOKENIZATION_RESULTS)[number];

/** The results that name a token: "appended to the result separated by a | character". */
const WITH_TOKEN: ReadonlySet<TokenizationResult> = new Set([
  'APPROVED',
  'REQUIRE_ADDITIONAL_AUTHENTICATION',
  'AUTHENTICATED',
  'DELETED',
]);
/** Of those, the ones MDESRQ requires a token unique reference for. */
const NEEDS_TOKEN: ReadonlySet<TokenizationResult> = new Set([
  'APPROVED',
  'REQUIRE_ADDITIONAL_AUTHENTICATION',
]);

export interface ReceiptResult {
  receipt: string;
  result: TokenizationResult;
  tokenUniqueReference?: string;
}

/**
 * The callback URL with `results[<receipt>]=<RESULT>[|<tokenUniqueReference>]`
 * appended, `[`, `]` and `|` URL-encoded; the issuer's own query is kept and
 * the results follow it with `&`.
 */
export function callbackWithResults(callbackURL: string, results: readonly ReceiptResult[]): string {
  return appendQuery(
    callbackURL,
    results.map(({ receipt, result, tokenUniqueReference }) => {
      const value =
        tokenUniqueReference !== undefined && WITH_TOKEN.has(result)
          ? `${result}|${tokenUniqueReference}`
          : result;
      return `${encodeURIComponent(`results[${receipt}]`)}=${encodeURIComponent(value)}`;
    }),
  );
}

/** The issuer's reading of the results a token requestor appended; RESULTS_INVALID for anything malformed. */
export function readResults(query: URLSearchParams): ReceiptResult[] {
  const out: ReceiptResult[] = [];
  const seen = new Set<string>();
  for (const [key, raw] of query) {
    const m = /^results\[(.*)\]$/.exec(key);
    if (!m) continue;
    const receipt = m[1] ?? '';
    if (!isReceipt(receipt) || seen.has(receipt))
      throw new HandoverError('RESULTS_INVALID', 'a result names no receipt');
    seen.add(receipt);
    const [result, tokenUniqueReference, extra] = raw.split('|').map((part) => part.trim());
    if (!TOKENIZATION_RESULTS.includes(result as TokenizationResult) || extra !== undefined) {
      throw new HandoverError('RESULTS_INVALID', 'a result is not one MDESRQ defines');
    }
    const known = result as TokenizationResult;
    if (tokenUniqueReference === undefined || tokenUniqueReference === '') {
      if (NEEDS_TOKEN.has(known)) throw new HandoverError('RESULTS_INVALID', `${known} names no token`);
      out.push({ receipt, result: known });
      continue;
    }
    if (!WITH_TOKEN.has(known) || !TOKEN_UNIQUE_REFERENCE.test(tokenUniqueReference)) {
      throw new HandoverError('RESULTS_INVALID', 'a token unique reference is malformed');
    }
    out.push({ receipt, result: known, tokenUniqueReference });
  }
  return out;
}

/** Appends encoded pairs to a URL, after its own query and before its fragment. */
function appendQuery(url: string, pairs: readonly string[]): string {
  if (pairs.length === 0) return url;
  const hash = url.indexOf('#');
  const [head, fragment] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const joiner = !head.includes('?') ? '?' : head.endsWith('?') || head.endsWith('&') ? '' : '&';
  return `${head}${joiner}${pairs.join('&')}${fragment}`;
}
