import type { TObject, TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { luhnValid } from '../../core/luhn.js';
import type { CardholderProfile } from '../../domain/account-holder.js';
import { isCountryCode } from '../../domain/countries.js';
import type { NewCard } from '../../store/cards/cards.js';
import { normaliseEmail, normalisePan, normalisePhone } from '../../store/cards/normalise.js';
import { ImportFormat, type ImportInput } from './import-format.js';

/**
 * Validation of an import batch against its format (src/service/cards/import-format.ts).
 * Every problem is reported with its path and a code, never with the value
 * (it may be a PAN or PII); a batch with any problem is refused whole. Values
 * come out normalised, as they are stored. A card verification code is
 * refused by name (CVC_NOT_ACCEPTED): no flow needs one and PCI DSS 3.3
 * forbids keeping it, so a file that carries one is sent back to be fixed
 * rather than silently half-taken.
 */
export interface ImportProblem {
  path: string;
  code: string;
  message: string;
}

/** A card as imported: what the store creates, less the ids it is given. */
export type ImportCard = Omit<NewCard, 'id' | 'cardholderId' | 'now'>;

export interface ImportCardholder {
  externalRef: string;
  profile: CardholderProfile;
  cards: ImportCard[];
}

export interface ImportBatch {
  cardholders: ImportCardholder[];
}

export type { ImportInput };

type Refusal = [code: string, message: string];

/** The names a card verification code goes by in card files. */
const SECURITY_CODE_FIELDS: readonly string[] = ['cvc', 'cvc2', 'cvv', 'cvv2', 'securityCode'];
const CVC_REFUSAL: Refusal = [
  'CVC_NOT_ACCEPTED',
  'card verification codes are not taken: no push needs one and PCI DSS 3.3 forbids keeping one; remove the field',
];
const MAX_PROBLEMS = 100;

/** How a field is refused when its value breaks the format's pattern, range or set. */
const REFUSALS: Record<string, Refusal> = {
  externalRef: ['FORMAT', 'expected 1–64 letters, digits or ._:@-'],
  email: ['EMAIL_FORMAT', 'expected an email address'],
  phone: ['PHONE_FORMAT', 'expected an E.164 number such as +447700900123'],
  locale: ['LOCALE_FORMAT', 'expected a locale such as en-GB'],
  country: ['COUNTRY_UNKNOWN', 'expected an ISO 3166-1 alpha-2 country code'],
  expiryMonth: ['EXPIRY_MONTH', 'expected 1–12'],
  expiryYear: ['EXPIRY_YEAR', 'expected 2000–2099'],
  status: ['STATUS_UNKNOWN', 'expected one of active, blocked, closed'],
};

/** Fields read in a form of their own: separators dropped, the country upper-cased. */
const READ_AS: Record<string, (value: string) => string> = {
  phone: normalisePhone,
  pan: normalisePan,
  country: (value) => value.toUpperCase(),
};

const TYPE_NAMES: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.Object]: 'an object',
  [ValueErrorType.Array]: 'an array',
  [ValueErrorType.String]: 'a string',
  [ValueErrorType.Integer]: 'an integer',
};

/** Which complaint about a field is said: its absence or type first, then its length, then its form. */
const RANK: Partial<Record<string, number>> = { REQUIRED: 0, TYPE: 0, TOO_LONG: 1 };

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The input as the format reads it: strings trimmed with their spaces
 * collapsed (some read in their own form), an empty or null field missing.
 * A copy: the caller's value is not changed.
 */
function normalised(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalised(item));
  if (typeof value === 'string') return READ_AS[key]?.(value) ?? value.trim().replace(/\s+/g, ' ');
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const read = k === 'demo' ? v : normalised(v, k);
    if (read !== null && read !== undefined && read !== '') copy[k] = read;
  }
  return copy;
}

const segmentsOf = (pointer: string): string[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** A JSON pointer as the problems name it: `/cardholders/0/cards/1/pan` is `cardholders[0].cards[1].pan`. */
const pathOf = (segments: readonly string[]): string =>
  segments.length === 0
    ? '$'
    : segments.reduce(
        (path, part, i) => (/^\d+$/.test(part) ? `${path}[${part}]` : i === 0 ? part : `${path}.${part}`),
        '',
      );

/** What the format's complaint means for the field, in the import's codes. */
function problemOf(error: ValueError): ImportProblem | undefined {
  const segments = segmentsOf(error.path);
  const key = segments.at(-1) ?? '';
  const path = pathOf(segments);
  const refused = ([code, message]: Refusal) => ({ path, code, message });
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { path, code: 'REQUIRED', message: 'is required' };
    case ValueErrorType.ObjectAdditionalProperties: {
      const at = segments.length === 1 ? `$.${key}` : path;
      return SECURITY_CODE_FIELDS.includes(key)
        ? { ...refused(CVC_REFUSAL), path: at }
        : { path: at, code: 'UNKNOWN_FIELD', message: 'is not a known field' };
    }
    case ValueErrorType.StringMaxLength:
      return refused(['TOO_LONG', `expected at most ${String(error.schema.maxLength)} characters`]);
    case ValueErrorType.StringPattern:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.Union: {
      const refusal = REFUSALS[key];
      return refusal && refused(refusal);
    }
    default: {
      const type = TYPE_NAMES[error.type];
      return type === undefined ? undefined : refused(['TYPE', `expected ${type}`]);
    }
  }
}

/**
 * Where a field comes in the file as the problems list it: an object's
 * unknown fields first, then its fields in the format's order, a list's
 * items in turn.
 */
function placeOf(segments: readonly string[], value: unknown): number[] {
  const place: number[] = [];
  let schema: TSchema | undefined = ImportFormat;
  let at = value;
  for (const part of segments) {
    if (Array.isArray(at)) {
      place.push(Number(part));
      schema = (schema as { items?: TSchema } | undefined)?.items;
    } else {
      const known = Object.keys((schema as TObject | undefined)?.properties ?? {});
      const index = known.indexOf(part);
      place.push(index < 0 ? -1000 + Object.keys(isObject(at) ? at : {}).indexOf(part) : index);
      schema = index < 0 ? undefined : (schema as TObject).properties[part];
    }
    at = isObject(at) || Array.isArray(at) ? (at as Record<string, unknown>)[part] : undefined;
  }
  return place;
}

const inFileOrder = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
};

/** Mastercard (2221–2720, 51–55; 16 digits) or Maestro (50, 56–69; 12–19 digits). */
export function panProblem(pan: string): [code: string, message: string] | undefined {
  if (!/^\d+$/.test(pan)) return ['PAN_FORMAT', 'expected digits only'];
  if (pan.length < 12 || pan.length > 19) return ['PAN_LENGTH', 'expected 12–19 digits'];
  const two = Number(pan.slice(0, 2));
  const four = Number(pan.slice(0, 4));
  const mastercard = (two >= 51 && two <= 55) || (four >= 2221 && four <= 2720);
  const maestro = two === 50 || (two >= 56 && two <= 69);
  if (!mastercard && !maestro) return ['PAN_BRAND', 'not a Mastercard or Maestro card number'];
  if (mastercard && pan.length !== 16) return ['PAN_LENGTH', 'a Mastercard card number has 16 digits'];
  if (!luhnValid(pan)) return ['PAN_LUHN', 'fails the Luhn check'];
  return undefined;
}

/** Every string of the file but a demo sign-in's, with its JSON pointer. */
function* strings(value: unknown, pointer = ''): Generator<[pointer: string, text: string]> {
  if (typeof value === 'string') yield [pointer, value];
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* strings(item, `${pointer}/${i}`);
  else if (isObject(value))
    for (const [key, item] of Object.entries(value))
      if (key !== 'demo') yield* strings(item, `${pointer}/${key}`);
}

/** The batch, normalised, or every problem found in it (each field's first), in the order of the file. */
export function validateImport(input: unknown): { batch: ImportBatch } | { problems: ImportProblem[] } {
  const value = normalised(input);
  const found = new Map<string, { problem: ImportProblem; pointer: string }>();
  const say = (pointer: string, problem: ImportProblem | undefined) => {
    if (!problem) return;
    const said = found.get(problem.path);
    if (!said || (RANK[problem.code] ?? 2) < (RANK[said.problem.code] ?? 2))
      found.set(problem.path, { problem, pointer });
  };
  const fine = (pointer: string) => !found.has(pathOf(segmentsOf(pointer)));
  const refuse = (pointer: string, [code, message]: Refusal) =>
    say(pointer, { path: pathOf(segmentsOf(pointer)), code, message });

  for (const error of Value.Errors(ImportFormat, value)) say(error.path, problemOf(error));
  for (const [pointer, text] of strings(value)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(text)) refuse(pointer, ['FORMAT', 'contains control characters']);
  }
  // What a schema cannot say: a card number's brand and check digit, a country that exists, and the
  // references and card numbers a batch uses twice.
  const firsts = new Map<string, string>();
  const once = (kind: string, pointer: string, key: unknown, refusal: Refusal) => {
    if (typeof key !== 'string' || !fine(pointer)) return;
    const first = firsts.get(`${kind} ${key}`);
    if (first) refuse(pointer, [refusal[0], `${refusal[1]} as ${first}`]);
    else firsts.set(`${kind} ${key}`, pathOf(segmentsOf(pointer)));
  };
  const country = (pointer: string, code: unknown) => {
    if (typeof code === 'string' && fine(pointer) && !isCountryCode(code))
      refuse(pointer, REFUSALS.country ?? ['', '']);
  };
  const file = isObject(value) && Array.isArray(value.cardholders) ? value.cardholders : [];
  for (const [i, holder] of file.entries()) {
    if (!isObject(holder)) continue;
    const at = `/cardholders/${i}`;
    once('cardholder', `${at}/externalRef`, holder.externalRef, ['DUPLICATE_REF', 'same externalRef']);
    if (isObject(holder.billingAddress))
      country(`${at}/billingAddress/country`, holder.billingAddress.country);
    for (const [j, card] of (Array.isArray(holder.cards) ? holder.cards : []).entries()) {
      if (!isObject(card)) continue;
      const cat = `${at}/cards/${j}`;
      once('card', `${cat}/externalRef`, card.externalRef, ['DUPLICATE_REF', 'same externalRef']);
      const pan = card.pan;
      const panFault = typeof pan === 'string' && fine(`${cat}/pan`) ? panProblem(pan) : undefined;
      if (panFault) refuse(`${cat}/pan`, panFault);
      once('pan', `${cat}/pan`, pan, ['PAN_DUPLICATE', 'same card number']);
      country(`${cat}/country`, card.country);
    }
  }

  const problems = [...found.values()]
    .map(({ problem, pointer }) => ({ problem, place: placeOf(segmentsOf(pointer), value) }))
    .sort((a, b) => inFileOrder(a.place, b.place))
    .map(({ problem }) => problem)
    .slice(0, MAX_PROBLEMS);
  return problems.length > 0 ? { problems } : { batch: batchOf(value as ImportInput) };
}

/** A batch the format accepted, as it is stored. */
function batchOf(file: ImportInput): ImportBatch {
  return {
    cardholders: file.cardholders.map((holder) => ({
      externalRef: holder.externalRef,
      profile: {
        name: holder.name,
        email: normaliseEmail(holder.email),
        phone: holder.phone,
        billingAddress: {
          line1: holder.billingAddress.line1,
          ...(holder.billingAddress.line2 === undefined ? {} : { line2: holder.billingAddress.line2 }),
          city: holder.billingAddress.city,
          ...(holder.billingAddress.state === undefined ? {} : { state: holder.billingAddress.state }),
          postalCode: holder.billingAddress.postalCode,
          country: holder.billingAddress.country,
        },
        locale: canonicalLocale(holder.locale),
      },
      cards: (holder.cards ?? []).map((card) => ({
        externalRef: card.externalRef,
        pan: card.pan,
        expiryMonth: card.expiryMonth,
        expiryYear: card.expiryYear,
        country: card.country,
        status: card.status,
        productName: card.productName,
        ...(card.cardArtRef === undefined ? {} : { cardArtRef: card.cardArtRef }),
      })),
    })),
  };
}

const canonicalLocale = (locale: string): string => {
  const [, language = '', region] = /^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}))?$/.exec(locale) ?? [];
  return region ? `${language.toLowerCase()}-${region.toUpperCase()}` : language.toLowerCase();
};
