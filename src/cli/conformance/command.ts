import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { JWK } from 'jose';
import type { Config } from '../../app/config.js';
import { ConfigError } from '../../core/errors.js';
import { CUSTOMER_SERVICE_BASE_URLS } from '../../mastercard/customer-service/endpoints.js';
import { loadPublicKey } from '../../mastercard/keys/load.js';
import { TOKEN_CONNECT_BASE_URLS } from '../../mastercard/token-connect/endpoints.js';
import { devKeysDir } from '../keys.js';
import { loadConformanceData, simulatorData } from './data.js';
import { devConformanceKeys, KEY_FILES, loadConformanceKeys } from './keys.js';
import { runConformance } from './runner.js';
import { SCENARIOS } from './scenarios.js';
import type { ConformanceTarget } from './target.js';

const redeeming = SCENARIOS.filter((s) => s.needs?.includes('tokenRequestor')).map((s) => s.number);

const HELP = `
Target
  Token Connect's base URL, to which Mastercard's paths are appended: the simulator's is
  http://localhost:8081/mdes (a URL without a path gets /mdes). "sandbox" and "mtf" name
  ${TOKEN_CONNECT_BASE_URLS.sandbox} and ${TOKEN_CONNECT_BASE_URLS.mtf}.
  Production is refused: the scenarios push test cards.

Keys
  Without --keys: the development key set under <data dir>/keys, which \`pushprov start\`
  registers at the simulator. --keys DIR reads a development key set if DIR holds one;
  otherwise DIR holds the issuer's keys from Mastercard Developers:
    ${KEY_FILES.signingKey.join(' or ')}
        the OAuth signing key, PKCS#12 or PEM (password and alias from
        MASTERCARD_SIGNING_KEY_PASSWORD and MASTERCARD_SIGNING_KEY_ALIAS)
    ${KEY_FILES.encryptionCertificate.join(' or ')}
        Mastercard's Token Connect encryption certificate
  with --consumer-key (or MASTERCARD_CONSUMER_KEY). Scenarios ${redeeming.join(', ')} redeem a receipt
  as a token requestor, which only a development key set can: otherwise they are skipped.

MDES's push-signing key
  --signing-key names the key the push signatures are checked with, as a token requestor holds
  it (MDESRQ p. 43–45): a key asset id, downloaded once through getAsset (e.g.
  20210927091340-MDES-token-connect-mtf), or a file: a JWK (.json) or a PEM public key or
  certificate. Default: the asset named by each signature's kid.

MDES Customer Service
  Scenarios 44–49 use Customer Service at the target (sandbox and mtf: Mastercard's own URLs for it;
  otherwise <target>/csapi/v2). Those that change a token need one of the issuer's: give
  customerService.tokenUniqueReference in --data (e.g. the sandbox's example), or they make one with
  a token requestor key (simulator only); 49 deletes, so it only runs on a token of its own making.

Token requestor pages
  Scenarios 42 and 43 click through a token requestor's page and back to the callback: only the
  simulator serves such pages, so they are skipped against sandbox and mtf.

Test data
  --data FILE replaces the simulator's cards, account ranges, token requestors and assets
  entry by entry (docs/mastercard/token-connect.md, "Conformance").

Exit status
  1 when a scenario fails; 0 otherwise, skipped and unavailable scenarios included.
`;

interface ConformanceOptions {
  target?: string;
  keys?: string;
  consumerKey?: string;
  data?: string;
  only?: number[];
  fingerprintOf?: 'publicKey' | 'certificate';
  signingKey?: string;
}

/** `pushprov conformance`: Token Connect's §7 scenarios against a target, a table at the end. */
export function conformanceCommand(config: () => Config): Command {
  return new Command('conformance')
    .description(
      "run Token Connect's conformance scenarios (docs/mastercard/token-connect.md §7) against a target",
    )
    .option('--target <url>', 'Token Connect base URL, or sandbox | mtf (default: the local simulator)')
    .option('--keys <dir>', 'key directory (default: the development key set)')
    .option('--consumer-key <key>', "consumer key (default: the key set's, or MASTERCARD_CONSUMER_KEY)")
    .option('--data <file>', "JSON file of test data overriding the simulator's")
    .option('--only <numbers>', 'comma-separated scenario numbers, e.g. 18,19', parseOnly)
    .option('--signing-key <asset id | file>', "MDES's push-signing key: a key asset id or a JWK/PEM file")
    .addOption(
      new Option(
        '--fingerprint-of <what>',
        "what publicKeyFingerprint names (default: the certificate's, as Mastercard's MDES presets)",
      )
        .choices(['publicKey', 'certificate'])
        .default('publicKey'),
    )
    .addHelpText('after', HELP)
    .action(async (options: ConformanceOptions) => {
      const settings = config();
      const baseUrl = resolveTarget(options.target, settings);
      const keyOptions = {
        consumerKey: options.consumerKey ?? settings.mastercardConsumerKey,
        password: settings.mastercardSigningKeyPassword,
        alias: settings.mastercardSigningKeyAlias,
      };
      const keys = options.keys
        ? await loadConformanceKeys(options.keys, keyOptions)
        : await devConformanceKeys(devKeysDir(settings), keyOptions);
      const target: ConformanceTarget = {
        baseUrl,
        ...keys,
        ...(options.fingerprintOf ? { fingerprintOf: options.fingerprintOf } : {}),
        data: options.data ? await loadConformanceData(options.data) : simulatorData(),
        ...(options.signingKey ? { mdesSigningKey: await signingKeyOf(options.signingKey) } : {}),
        tokenRequestorPages: !Object.values(TOKEN_CONNECT_BASE_URLS).includes(baseUrl as never),
        ...(customerServiceUrlOf(baseUrl) && { customerServiceUrl: customerServiceUrlOf(baseUrl) }),
      };
      const out = process.stdout;
      out.write(
        `Token Connect conformance against ${baseUrl} ` +
          `(${keys.tokenRequestor ? 'with' : 'without'} a token requestor key)\n\n`,
      );
      const summary = await runConformance(target, {
        ...(options.only ? { only: options.only } : {}),
        output: { write: (text) => out.write(text), isTTY: out.isTTY === true },
      });
      process.exitCode = summary.ok ? 0 : 1;
    });
}

/** The Token Connect base URL to test; never production. */
export function resolveTarget(value: string | undefined, config: Config): string {
  if (value === 'sandbox' || value === 'mtf') return TOKEN_CONNECT_BASE_URLS[value];
  let url: URL;
  try {
    url = new URL(value ?? config.simulatorPublicUrl);
  } catch {
    throw new ConfigError([`--target ${JSON.stringify(value)}: expected a URL, sandbox or mtf`]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError([`--target: expected an http or https URL`]);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/mdes';
  const baseUrl = url.toString().replace(/\/+$/, '');
  // MTF shares production's host, so whole base URLs are compared: on that host only MTF's is allowed.
  if (
    url.host === new URL(TOKEN_CONNECT_BASE_URLS.production).host &&
    baseUrl !== TOKEN_CONNECT_BASE_URLS.mtf
  ) {
    throw new ConfigError(['--target: refusing Mastercard production; the scenarios push test cards']);
  }
  return baseUrl;
}

/** MDES Customer Service at Mastercard's sandbox and MTF (their own URL forms); elsewhere `<target>/csapi/v2`. */
function customerServiceUrlOf(baseUrl: string): string | undefined {
  if (baseUrl === TOKEN_CONNECT_BASE_URLS.sandbox) return CUSTOMER_SERVICE_BASE_URLS.sandbox;
  if (baseUrl === TOKEN_CONNECT_BASE_URLS.mtf) return CUSTOMER_SERVICE_BASE_URLS.mtf;
  return undefined;
}

function parseOnly(value: string): number[] {
  const known = new Set(SCENARIOS.map((s) => s.number));
  const numbers = value.split(',').map((part) => part.trim());
  for (const n of numbers) {
    if (!/^\d+$/.test(n) || !known.has(Number(n))) {
      throw new InvalidArgumentError(`no scenario numbered "${n}" (1–${SCENARIOS.length})`);
    }
  }
  return numbers.map(Number);
}

/** `--signing-key`: a file (a JWK, or a PEM/DER public key or certificate) if one exists there, else a key asset id. */
export async function signingKeyOf(value: string): Promise<NonNullable<ConformanceTarget['mdesSigningKey']>> {
  if (!existsSync(value)) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) {
      throw new ConfigError([`--signing-key ${JSON.stringify(value)}: expected a key asset id or a file`]);
    }
    return { assetId: value };
  }
  if (value.endsWith('.json')) {
    const jwk = JSON.parse(await readFile(value, 'utf8')) as JWK;
    return {
      ...(jwk.kid ? { assetId: jwk.kid } : {}),
      publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
    };
  }
  return { publicKey: (await loadPublicKey({ path: value })).publicKey };
}
