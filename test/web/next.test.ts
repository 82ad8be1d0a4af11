import { describe, expect, it } from 'vitest';
import { safeNext } from '../../src/web/next.js';

describe('where to go after signing in', () => {
  it('takes a page of the bank’s own, with its query', () => {
    expect(safeNext('/app/cards/crd_abcdefgh/saved')).toBe('/app/cards/crd_abcdefgh/saved');
    expect(safeNext('/app/provisionings/prv_abcdefgh?problem=CALLBACK_RESULTS_INVALID')).toBe(
      '/app/provisionings/prv_abcdefgh?problem=CALLBACK_RESULTS_INVALID',
    );
  });

  it('refuses anything that could leave the origin or is not a page', () => {
    for (const value of [
      '//evil.example/app/cards',
      '/app//evil.example',
      '/\\evil.example',
      'https://evil.example/app/cards',
      'javascript:alert(1)',
      '/v1/cards',
      '/app/cards#x',
      `/app/${'a'.repeat(300)}`,
      undefined,
      42,
    ]) {
      expect(safeNext(value), String(value)).toBeUndefined();
    }
  });
});
