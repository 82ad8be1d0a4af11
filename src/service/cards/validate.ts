import { luhnValid } from '../../core/luhn.js';
import type { CardholderProfile } from '../../domain/account-holder.js';
import { isCountryCode } from '../../domain/countries.js';
import type { CardStatus, NewCard } from '../../store/cards/cards.js';
import { normaliseEmail, normalisePan, normalisePhone } from '../../store/cards/normalise.js';

/**
 * Validation of an import batch. Every problem is reported with its path and
 * a code, never with the value (it may be a PAN or PII); a batch with any
 * problem is refused whole. Values come out normalised, as they are stored.
 * A card verification code is refused by name (CVC_NOT_ACCEPTED): no flow
 * needs one and PCI DSS 3.3 forbids keeping it, so a file that carries one
 * is sent back to be fixed rather than silently half-taken.
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

/** The shape callers send (the file format of `pushprov cards import`): the profile's fields sit beside the reference. */
export interface ImportInput {
  cardholders: (CardholderProfile & {
    externalRef: string;
    /** Ignored by the import: demo sign-in credentials, seeded by the auth service. */
    demo?: unknown;
    cards: ImportCard[];
  })[];
}

const STATUSES: readonly CardStatus[] = ['active', 'blocked', 'closed'];
/** The names a card verification code goes by in card files. */
const SECURITY_CODE_FIELDS: readonly string[] = ['cvc', 'cvc2', 'cvv', 'cvv2', 'securityCode'];
const MAX_PROBLEMS = 100;

type Fields = Record<string, unknown>;

/** Collects problems while reading fields; each reader returns undefined when the field is bad. */
class Reader {
  readonly problems: ImportProblem[] = [];

  problem(path: string, code: string, message: string): undefined {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ path, code, message });
    return undefined;
  }

  object(
    value: unknown,
    path: string,
    allowed: readonly string[],
    refused: ReadonlyMap<string, [code: string, message: string]> = new Map(),
  ): Fields | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.problem(path, 'TYPE', 'expected an object');
    }
    for (const key of Object.keys(value)) {
      // A Map, not an object: a key such as `constructor` must not find Object.prototype's.
      const refusal = refused.get(key);
      if (refusal) this.problem(`${path}.${key}`, ...refusal);
      else if (!allowed.includes(key))
        this.problem(`${path}.${key}`, 'UNKNOWN_FIELD', 'is not a known field');
    }
    return value as Fields;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    return Array.isArray(value) ? value : this.problem(path, 'TYPE', 'expected an array');
  }

  text(fields: Fields, key: string, path: string, max: number, optional = false): string | undefined {
    const value = fields[key];
    const at = `${path}.${key}`;
    if (value === undefined || value === null)
      return optional ? undefined : this.problem(at, 'REQUIRED', 'is required');
    if (typeof value !== 'string') return this.problem(at, 'TYPE', 'expected a string');
    const trimmed = value.trim().replace(/\s+/g, ' ');
    if (trimmed === '') return optional ? undefined : this.problem(at, 'REQUIRED', 'is required');
    if (trimmed.length > max) return this.problem(at, 'TOO_LONG', `expected at most ${max} characters`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(trimmed))
      return this.problem(at, 'FORMAT', 'contains control characters');
    return trimmed;
  }

  matching(
    fields: Fields,
    key: string,
    path: string,
    pattern: RegExp,
    code: string,
    message: string,
    optional = false,
  ): string | undefined {
    const value = this.text(fields, key, path, 256, optional);
    if (value === undefined) return undefined;
    return pattern.test(value) ? value : this.problem(`${path}.${key}`, code, message);
  }

  integer(
    fields: Fields,
    key: string,
    path: string,
    min: number,
    max: number,
    code: string,
  ): number | undefined {
    const value = fields[key];
    const at = `${path}.${key}`;
    if (value === undefined || value === null) return this.problem(at, 'REQUIRED', 'is required');
    if (typeof value !== 'number' || !Number.isInteger(value))
      return this.problem(at, 'TYPE', 'expected an integer');
    return value >= min && value <= max ? value : this.problem(at, code, `expected ${min}–${max}`);
  }

  country(fields: Fields, key: string, path: string): string | undefined {
    const value = this.text(fields, key, path, 2);
    if (value === undefined) return undefined;
    const upper = value.toUpperCase();
    return /^[A-Z]{2}$/.test(upper) && isCountryCode(upper)
      ? upper
      : this.problem(`${path}.${key}`, 'COUNTRY_UNKNOWN', 'expected an ISO 3166-1 alpha-2 country code');
  }
}

const CVC_REFUSED = new Map(
  SECURITY_CODE_FIELDS.map((field) => [
    field,
    [
      'CVC_NOT_ACCEPTED',
      'card verification codes are not taken: no push needs one and PCI DSS 3.3 forbids keeping one; remove the field',
    ] as [string, string],
  ]),
);

const EXTERNAL_REF = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const LOCALE = /^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}))?$/;

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

/** The batch, normalised, or every problem found in it. */
export function validateImport(input: unknown): { batch: ImportBatch } | { problems: ImportProblem[] } {
  const r = new Reader();
  const root = r.object(input, '$', ['cardholders']);
  const list = root && r.array(root.cardholders, 'cardholders');
  const cardholders: ImportCardholder[] = [];
  const refs = {
    cardholder: new Map<string, string>(),
    card: new Map<string, string>(),
    pan: new Map<string, string>(),
  };
  const unique = (
    kind: keyof typeof refs,
    value: string | undefined,
    path: string,
    code: string,
    what: string,
  ) => {
    if (value === undefined) return;
    const first = refs[kind].get(value);
    if (first) r.problem(path, code, `${what} as ${first}`);
    else refs[kind].set(value, path);
  };

  (list ?? []).forEach((item, i) => {
    const path = `cardholders[${i}]`;
    const f = r.object(item, path, [
      'externalRef',
      'name',
      'email',
      'phone',
      'billingAddress',
      'locale',
      'cards',
      // A demo cardholder's sign-in (fixtures/demo-cards.json): the auth seeding reads it, the import ignores it.
      'demo',
    ]);
    if (!f) return;
    const externalRef = r.matching(
      f,
      'externalRef',
      path,
      EXTERNAL_REF,
      'FORMAT',
      'expected 1–64 letters, digits or ._:@-',
    );
    unique('cardholder', externalRef, `${path}.externalRef`, 'DUPLICATE_REF', 'same externalRef');
    const name = r.text(f, 'name', path, 100);
    const email = r.text(f, 'email', path, 254);
    if (email !== undefined && !EMAIL.test(email))
      r.problem(`${path}.email`, 'EMAIL_FORMAT', 'expected an email address');
    const phone = typeof f.phone === 'string' ? normalisePhone(f.phone) : undefined;
    if (phone === undefined || !E164.test(phone)) {
      if (f.phone === undefined) r.problem(`${path}.phone`, 'REQUIRED', 'is required');
      else r.problem(`${path}.phone`, 'PHONE_FORMAT', 'expected an E.164 number such as +447700900123');
    }
    const locale = r.matching(f, 'locale', path, LOCALE, 'LOCALE_FORMAT', 'expected a locale such as en-GB');
    const addressPath = `${path}.billingAddress`;
    const a =
      f.billingAddress === undefined
        ? r.problem(addressPath, 'REQUIRED', 'is required')
        : r.object(f.billingAddress, addressPath, [
            'line1',
            'line2',
            'city',
            'state',
            'postalCode',
            'country',
          ]);
    const address = a && {
      line1: r.text(a, 'line1', addressPath, 100),
      line2: r.text(a, 'line2', addressPath, 100, true),
      city: r.text(a, 'city', addressPath, 64),
      state: r.text(a, 'state', addressPath, 32, true),
      postalCode: r.text(a, 'postalCode', addressPath, 16),
      country: r.country(a, 'country', addressPath),
    };

    const cards: ImportCard[] = [];
    const cardList = f.cards === undefined ? [] : (r.array(f.cards, `${path}.cards`) ?? []);
    cardList.forEach((cardItem, j) => {
      const cpath = `${path}.cards[${j}]`;
      const c = r.object(
        cardItem,
        cpath,
        ['externalRef', 'pan', 'expiryMonth', 'expiryYear', 'country', 'status', 'productName', 'cardArtRef'],
        CVC_REFUSED,
      );
      if (!c) return;
      const ref = r.matching(
        c,
        'externalRef',
        cpath,
        EXTERNAL_REF,
        'FORMAT',
        'expected 1–64 letters, digits or ._:@-',
      );
      unique('card', ref, `${cpath}.externalRef`, 'DUPLICATE_REF', 'same externalRef');
      let pan: string | undefined;
      if (typeof c.pan !== 'string') {
        r.problem(
          `${cpath}.pan`,
          c.pan === undefined ? 'REQUIRED' : 'TYPE',
          c.pan === undefined ? 'is required' : 'expected a string',
        );
      } else {
        const problem = panProblem(normalisePan(c.pan));
        if (problem) r.problem(`${cpath}.pan`, ...problem);
        else pan = normalisePan(c.pan);
      }
      unique('pan', pan, `${cpath}.pan`, 'PAN_DUPLICATE', 'same card number');
      const expiryMonth = r.integer(c, 'expiryMonth', cpath, 1, 12, 'EXPIRY_MONTH');
      const expiryYear = r.integer(c, 'expiryYear', cpath, 2000, 2099, 'EXPIRY_YEAR');
      const country = r.country(c, 'country', cpath);
      const status = r.text(c, 'status', cpath, 16);
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
        r.problem(`${cpath}.status`, 'STATUS_UNKNOWN', `expected one of ${STATUSES.join(', ')}`);
      }
      const productName = r.text(c, 'productName', cpath, 64);
      const cardArtRef = r.text(c, 'cardArtRef', cpath, 200, true);
      if (ref && pan && expiryMonth && expiryYear && country && status && productName) {
        cards.push({
          externalRef: ref,
          pan,
          expiryMonth,
          expiryYear,
          country,
          status: status as CardStatus,
          productName,
          ...(cardArtRef === undefined ? {} : { cardArtRef }),
        });
      }
    });

    if (
      externalRef &&
      name &&
      email &&
      phone &&
      locale &&
      address?.line1 &&
      address.city &&
      address.postalCode &&
      address.country
    ) {
      cardholders.push({
        externalRef,
        profile: {
          name,
          email: normaliseEmail(email),
          phone,
          billingAddress: {
            line1: address.line1,
            ...(address.line2 === undefined ? {} : { line2: address.line2 }),
            city: address.city,
            ...(address.state === undefined ? {} : { state: address.state }),
            postalCode: address.postalCode,
            country: address.country,
          },
          locale: canonicalLocale(locale),
        },
        cards,
      });
    }
  });

  return r.problems.length > 0 ? { problems: r.problems } : { batch: { cardholders } };
}

const canonicalLocale = (locale: string): string => {
  const [, language = '', region] = LOCALE.exec(locale) ?? [];
  return region ? `${language.toLowerCase()}-${region.toUpperCase()}` : language.toLowerCase();
};
