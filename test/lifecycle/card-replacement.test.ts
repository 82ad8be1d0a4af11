import { describe, expect, it } from 'vitest';
import { SavedCards } from '../../src/service/tokens/saved-cards.js';
import type { AuditEntry } from '../../src/store/audit.js';
import type { TokenRecord, TokenStatus } from '../../src/store/tokens/tokens.js';

const at = new Date('2026-01-01T00:00:00Z');
const token = (n: number, status: TokenStatus = 'ACTIVE'): TokenRecord => ({
  id: `tok_${String(n).padStart(10, '0')}`,
  tokenUniqueReference: `DWSPMC${String(n).padStart(10, '0')}`,
  cardId: 'crd_aaaaaaaaaa',
  tokenRequestorId: '50182375119',
  tokenRequestorName: 'Demo Shop',
  destination: 'merchant',
  tokenPanSuffix: '1234',
  status,
  lastEvent: 'CREATED',
  lastEventAt: at,
  createdAt: at,
  updatedAt: at,
});

/** SavedCards with its stores and MDES replaced by recorders. */
function setUp(tokens: TokenRecord[], withMdes = true) {
  const calls: { operation: string; references: readonly string[]; detail: unknown }[] = [];
  const audit: AuditEntry[] = [];
  const saved = new SavedCards({
    tokens: { listByCard: async () => tokens, ofCard: async () => undefined, counts: async () => [] },
    cards: { ownedCard: async () => ({}) },
    audit: {
      append: async (entry: AuditEntry) => {
        audit.push(entry);
      },
      history: async () => [],
    },
    mdes: withMdes
      ? {
          change: async (operation, references, causedBy) => {
            calls.push({ operation, references, detail: causedBy });
            return [];
          },
          update: async (references, account) => {
            calls.push({ operation: 'update', references, detail: account });
            return [];
          },
        }
      : undefined,
  });
  return { saved, calls, audit };
}

describe('a replaced or closed card takes its tokens along', () => {
  it('asks MDES to move every live token to the new last four digits and expiry, ten per request, and audits each', async () => {
    const tokens = [...Array.from({ length: 12 }, (_, i) => token(i)), token(99, 'DELETED')];
    const { saved, calls, audit } = setUp(tokens);
    const account = { accountPanSuffix: '0004', accountExpiry: '0931' };
    expect(await saved.cardReplaced('crd_aaaaaaaaaa', account)).toBe(12);
    expect(calls.map((c) => [c.operation, c.references.length, c.detail])).toEqual([
      ['update', 10, account],
      ['update', 2, account],
    ]);
    expect(calls.flatMap((c) => c.references)).not.toContain('DWSPMC0000000099');
    expect(audit).toHaveLength(12);
    expect(audit[0]).toMatchObject({
      action: 'token.card_replaced',
      subject: 'tok_0000000000',
      outcome: 'requested',
    });
  });

  it('deletes the tokens of a closed card at MDES, as the issuer', async () => {
    const { saved, calls } = setUp([token(1), token(2, 'SUSPENDED')]);
    expect(await saved.cardClosed('crd_aaaaaaaaaa')).toBe(2);
    expect(calls).toEqual([
      { operation: 'delete', references: ['DWSPMC0000000001', 'DWSPMC0000000002'], detail: 'ISSUER' },
    ]);
  });

  it('refuses, with its own code, when token management is not configured', async () => {
    const { saved } = setUp([token(1)], false);
    await expect(saved.cardClosed('crd_aaaaaaaaaa')).rejects.toMatchObject({
      code: 'TOKEN_MANAGEMENT_UNAVAILABLE',
      status: 503,
    });
  });
});
