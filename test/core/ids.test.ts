import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';

describe('newId', () => {
  it('draws every base36 character equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      for (const c of newId('x').slice(2)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(36);
    // With `byte % 36`, '0'–'3' (bytes 252–255 fold onto them) come out 8/7 as often as the rest.
    const mean = (chars: string[]) => chars.reduce((sum, c) => sum + (counts.get(c) ?? 0), 0) / chars.length;
    const folded = mean(['0', '1', '2', '3']);
    const rest = mean([...'456789abcdefghijklmnopqrstuvwxyz']);
    expect(folded / rest).toBeGreaterThan(0.95);
    expect(folded / rest).toBeLessThan(1.05);
    expect(newId('prv')).toMatch(/^prv_[0-9a-z]{20}$/);
  });
});
