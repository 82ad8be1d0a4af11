import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './imports.js';

/**
 * What a store class is called says what it keeps: a `…Repository` holds
 * the issuer's records (cards, pushes, tokens), a `…Store` credentials and
 * short-lived state that expires (sessions, grants, codes, idempotency
 * keys), a `…Log` what is only ever appended (audit, MDES's messages). The
 * vault is cryptography over those tables and keeps its own words.
 */
const SUFFIX = /(Repository|Store|Log)$/;
const STORE = resolve(import.meta.dirname, '../../src/store');

function misnamed(files: Iterable<string>, read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const rel = relative(STORE, file);
    if (rel.split(sep)[0] === 'vault') continue;
    for (const [, name] of read(file).matchAll(/export (?:abstract )?class (\w+)/g)) {
      if (name && !SUFFIX.test(name)) found.push(`${rel}: ${name}`);
    }
  }
  return found;
}

describe('store names', () => {
  it('every store class ends in Repository, Store or Log', () => {
    const files = [...sourceFiles(STORE)];
    expect(files.length).toBeGreaterThan(10);
    expect(misnamed(files, (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  it('catches a class named otherwise (the check itself can fail)', () => {
    const fake = resolve(STORE, 'ops.ts');
    expect(misnamed([fake], () => 'export class OpsReads {}')).toEqual(['ops.ts: OpsReads']);
  });
});
