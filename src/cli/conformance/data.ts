import { readFile } from 'node:fs/promises';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../../core/errors.js';
import { luhnValid } from '../../core/luhn.js';
import {
  Catalogue,
  CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
  DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
  enrolledRangeOf,
  MDES_ACCOUNT_RANGES,
} from '../../simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../simulator/token-connect/test-cards.js';

/**
 * The test data the scenarios push and ask about: which card, account range,
 * token requestor and asset triggers each documented behaviour at the target.
 * The defaults are the simulator's (docs/simulator.md); a sandbox has its own,
 * given as a JSON file of the same shape (`--data`).
 */

const card = Type.Object(
  {
    /** A Mastercard test card number (Luhn-valid). */
    accountNumber: Type.String({ pattern: '^[0-9]{9,19}$' }),
    /** When absent, the scenarios use December three years from now. */
    expiryMonth: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])$' })),
    expiryYear: Type.Optional(Type.String({ pattern: '^[0-9]{2}$' })),
  },
  { additionalProperties: false },
);
const accountRange = Type.String({ pattern: '^[0-9]{9,19}$' });
const tokenRequestorId = Type.String({ pattern: '^[0-9]{11}$' });
const assetId = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' });
const section = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

const ConformanceDataSchema = section({
  cards: section({
    /** Credit, accepted by both token requestors below: MCC- receipts. */
    credit: card,
    /** A second credit card the multi-card token requestor accepts. */
    credit2: card,
    /** Debit, accepted by the multi-card token requestor: DMC- receipts. */
    debit: card,
    /** Maestro, accepted by the multi-card token requestor: MSI- receipts. */
    maestro: card,
    /** Enrolled in MDES but not accepted by the multi-card token requestor (scenario 28). */
    ineligible: card,
    /** In an account range MDES does not know (scenario 29). */
    notInMdes: card,
  }),
  accountRanges: section({
    /** Ranges enabled for token requestors (scenario 1). */
    enabled: Type.Array(accountRange, { minItems: 1, maxItems: 25 }),
    /** Shorter than 19 digits, enabled for token requestors once zero-padded (scenario 2). */
    short: accountRange,
    /** Known to MDES, enabled for no token requestor (scenario 3). */
    enabledForNone: accountRange,
    /** Not in MDES (scenario 4). */
    notInMdes: accountRange,
  }),
  tokenRequestors: section({
    /** Takes several cards, signs its answers, gives issuer-initiated digitization data. */
    multipleCards: tokenRequestorId,
    /** Takes one card and has no signature support (scenarios 26 and 30). */
    singleCardWithoutSignature: tokenRequestorId,
  }),
  assets: section({
    /** A token requestor logo (scenarios 13 and 17). */
    logo: assetId,
    /** Well formed, not in the asset repository (scenario 14). */
    unknown: assetId,
  }),
  /**
   * MDES Customer Service (scenarios 44–49): a token of the issuer's at the
   * target to change (for the sandbox, one of Mastercard's examples). Absent:
   * the scenarios make one by pushing a test card and redeeming it, which
   * needs a token requestor key.
   */
  customerService: Type.Optional(
    section({ tokenUniqueReference: Type.String({ pattern: '^[A-Za-z0-9]{9,48}$' }) }),
  ),
});

export type ConformanceData = Static<typeof ConformanceDataSchema>;
export type TestCardData = ConformanceData['cards']['credit'];

/** The simulator's test data, read from its own catalogue and test cards. */
export function simulatorData(): ConformanceData {
  const catalogue = new Catalogue({
    merchantUrl: 'http://merchant.invalid',
    simulatorUrl: 'http://mdes.invalid',
  });
  const singleCard = catalogue.entries.find(
    (e) => e.record.supportsMultiplePushedCards === false && !e.signatureSupport,
  );
  const short = MDES_ACCOUNT_RANGES.find((r) => r.prefix.length > 9);
  const logo = catalogue.find(CLICK_TO_PAY_TOKEN_REQUESTOR_ID)?.record.imageAssetId;
  if (!singleCard || !short || !logo)
    throw new Error('the simulator catalogue lost an entry the scenarios use');
  const prefixOf = (pan: string): string => enrolledRangeOf(pan)?.prefix ?? pan.slice(0, 9);
  const cardOf = (pan: string) => ({ accountNumber: pan });
  return {
    cards: {
      credit: cardOf(TEST_CARDS.credit.pan),
      credit2: cardOf(TEST_CARDS.credit2.pan),
      debit: cardOf(TEST_CARDS.debit.pan),
      maestro: cardOf(TEST_CARDS.maestro.pan),
      ineligible: cardOf(TEST_CARDS.clickToPayOnly.pan),
      notInMdes: cardOf(TEST_CARDS.notInMdes.pan),
    },
    accountRanges: {
      enabled: [prefixOf(TEST_CARDS.credit.pan), prefixOf(TEST_CARDS.credit2.pan)],
      short: short.prefix,
      enabledForNone: prefixOf(TEST_CARDS.enabledForNone.pan),
      notInMdes: TEST_CARDS.notInMdes.pan.slice(0, 9),
    },
    tokenRequestors: {
      multipleCards: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      singleCardWithoutSignature: singleCard.record.tokenRequestorId,
    },
    assets: { logo, unknown: '00000000-0000-0000-0000-000000000000' },
  };
}

/**
 * The simulator's data with a JSON file's sections laid over it: each named
 * entry (a card, a range, a token requestor) replaces the default one whole.
 * Problems name the path, never the value (a file may hold card numbers).
 */
export async function loadConformanceData(path: string): Promise<ConformanceData> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read';
    throw new ConfigError([`conformance data ${path}: ${reason}`]);
  }
  return overlayData(simulatorData(), parsed, path);
}

export function overlayData(
  base: ConformanceData,
  overrides: unknown,
  name = 'conformance data',
): ConformanceData {
  if (!isRecord(overrides)) throw new ConfigError([`${name}: expected a JSON object`]);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = isRecord(current) && isRecord(value) ? { ...current, ...value } : value;
  }
  const problems = [...Value.Errors(ConformanceDataSchema, merged)].map(
    (e) => `${name} ${e.path || '/'}: ${e.message}`,
  );
  if (problems.length === 0) {
    for (const [key, entry] of Object.entries((merged as ConformanceData).cards)) {
      if (!luhnValid(entry.accountNumber))
        problems.push(`${name} /cards/${key}: not a Luhn-valid card number`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.slice(0, 5));
  return merged as ConformanceData;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
