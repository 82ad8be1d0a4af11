import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, PUSH_OUTCOMES, statusesOf } from '../../src/core/error-codes.js';
import {
  AuthError,
  ConflictError,
  CryptoError,
  ForbiddenError,
  NotFoundError,
  PushprovError,
  ValidationError,
} from '../../src/core/errors.js';

const root = resolve(import.meta.dirname, '../..');
const CATALOGUE = 'src/core/error-codes.ts';

const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

const files = sources('src').map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));

/**
 * Errors whose code is Mastercard's (a reason code or error code of its
 * specifications, answered on its wire), not pushprov's: they reach the base
 * class through `wireCode` and are listed beside the specs.
 */
const WIRE_CLASSES = new Set([
  'TokenConnectFailure',
  'CustomerServiceFailure',
  'PreDigitizationError',
  'EnrolmentRefused',
]);

/** pushprov's error classes: the core ones and every subclass declared in src/. */
const errorClasses = (): Set<string> => {
  const classes = new Set(['PushprovError']);
  const declared = files.flatMap(({ text }) => [...text.matchAll(/class (\w+) extends (\w+)/g)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [, name, parent] of declared) {
      if (name && parent && classes.has(parent) && !classes.has(name)) {
        classes.add(name);
        grew = true;
      }
    }
  }
  for (const wire of WIRE_CLASSES) classes.delete(wire);
  return classes;
};

/** The arguments of the call whose `(` is at `open`, up to its matching `)`. */
const argumentsAt = (text: string, open: number): string => {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
};

interface Thrown {
  code: string;
  by: string;
  where: string;
  status: number | undefined;
}

/** Every code written as a string literal into a pushprov error's constructor (or its `super`). */
const thrownCodes = (): Thrown[] => {
  const classes = errorClasses();
  const thrown: Thrown[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/(?:new\s+(\w+)|\b(super)|\b(lockedError))\(\s*'([A-Z][A-Z0-9_]*)'/g)) {
      const by = m[1] ?? m[2] ?? m[3] ?? '';
      if (by !== 'super' && by !== 'lockedError' && !classes.has(by)) continue;
      const call = argumentsAt(text, (m.index ?? 0) + m[0].indexOf('('));
      const status = /\bstatus:\s*(\d{3})\b/.exec(call)?.[1];
      thrown.push({
        code: m[4] ?? '',
        by,
        where: `${path}:${text.slice(0, m.index).split('\n').length}`,
        status: status === undefined ? undefined : Number(status),
      });
    }
  }
  return thrown;
};

const DEFAULT_STATUS: Record<string, number> = {
  PushprovError: new PushprovError('INTERNAL', '').status,
  ValidationError: new ValidationError('VALIDATION_FAILED', '').status,
  NotFoundError: new NotFoundError('NOT_FOUND', '').status,
  ConflictError: new ConflictError('IMPORT_CONFLICT', '').status,
  AuthError: new AuthError('SESSION_REQUIRED', '').status,
  ForbiddenError: new ForbiddenError('OPS_ONLY', '').status,
  CryptoError: new CryptoError('AES_GCM_AUTH_FAILED', '').status,
};

const isCatalogued = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

describe('the error code catalogue', () => {
  const thrown = thrownCodes();

  it('finds the codes thrown across src/ (the scan itself works)', () => {
    const codes = new Set(thrown.map((t) => t.code));
    expect(codes.size).toBeGreaterThan(100);
    expect(codes).toContain('SESSION_REQUIRED');
    expect(codes).toContain('RATE_LIMITED');
    expect(codes).not.toContain('ACCOUNT_INELIGIBLE');
  });

  it('lists every code a pushprov error is thrown with', () => {
    const missing = thrown.filter((t) => !isCatalogued(t.code)).map((t) => `${t.code} (${t.where})`);
    expect(missing).toEqual([]);
  });

  it('gives each thrown code the status it is thrown with', () => {
    const wrong = thrown
      .filter((t) => isCatalogued(t.code))
      .flatMap((t) => {
        const status = t.status ?? DEFAULT_STATUS[t.by];
        if (status === undefined) return [];
        return statusesOf(t.code as ErrorCode).includes(status) ? [] : [`${t.code} ${status} (${t.where})`];
      });
    expect(wrong).toEqual([]);
  });

  it('lists no code that nothing in src/ uses', () => {
    const elsewhere = files
      .filter(({ path }) => path !== CATALOGUE)
      .map(({ text }) => text)
      .join('\n');
    const unused = [...Object.keys(ERROR_CODES), ...Object.keys(PUSH_OUTCOMES)].filter(
      (code) => !elsewhere.includes(`'${code}'`),
    );
    expect(unused).toEqual([]);
  });

  it('keeps pushprov’s codes apart from the outcomes of a push', () => {
    expect(Object.keys(PUSH_OUTCOMES).filter(isCatalogued)).toEqual([]);
  });

  it('is the table of error codes in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.split('\n## Error codes\n')[1]?.split('\n## ')[0] ?? '';
    const rows = [...section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \| (.+) \|$/gm)].map(
      ([, code, status, meaning]) => [code, status?.trim(), meaning?.trim()],
    );
    const expected = Object.entries(ERROR_CODES).map(([code, { meaning }]) => [
      code,
      statusesOf(code as ErrorCode).join(', '),
      meaning,
    ]);
    expect(rows.sort()).toEqual(expected.sort());
  });
});
