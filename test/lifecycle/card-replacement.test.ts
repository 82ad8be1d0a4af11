import { describe, expect, it } from 'vitest';
import type { ManagedToken } from '../../src/service/tokens/mdes-client.js';
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

/** SavedCards with its stores and MDES replaced by recorders; `atMdes` is what MDES's search reports. */
function setUp(tokens: TokenRecord[], withMdes = true, atMdes: ManagedToken[] = []) {
  const calls: { operation: string; references: readonly string[]; detail: unknown }[] = [];
  const audit: AuditEntry[] = [];
  const saved = new SavedCards({
    tokens: { listByCard: async () => tokens, ofCard: async () => undefined, counts: async () => [] },
    cards: { ownedCard: async () => ({ status: 'active' }) },
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
          search: async (references) => {
            calls.push({ operation: 'search', references, detail: undefined });
            return atMdes.filter((t) => references.includes(t.tokenUniqueReference));
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

  it('suspends a blocked card’s tokens as the issuer, and resumes only those the issuer suspended', async () => {
    const tokens = [token(1), token(2, 'SUSPENDED'), token(3, 'SUSPENDED'), token(4, 'DELETED')];
    const blocked = setUp(tokens);
    expect(await blocked.saved.cardBlocked('crd_aaaaaaaaaa')).toBe(3);
    expect(blocked.calls).toEqual([
      {
        operation: 'suspend',
        references: ['DWSPMC0000000001', 'DWSPMC0000000002', 'DWSPMC0000000003'],
        detail: 'ISSUER',
      },
    ]);
    expect(blocked.audit.map((a) => a.action)).toEqual(Array(3).fill('token.card_blocked'));

    const managed = (n: number, suspendedBy?: 'CARDHOLDER' | 'ISSUER'): ManagedToken => ({
      tokenUniqueReference: token(n).tokenUniqueReference,
      tokenRequestorId: '50182375119',
      status: suspendedBy ? 'SUSPENDED' : 'ACTIVE',
      ...(suspendedBy && { suspendedBy }),
      tokenPanSuffix: '1234',
      accountPanSuffix: '4444',
      statusTimestamp: at.toISOString(),
    });
    // Token 2 was paused by the cardholder before the block: it stays paused.
    const unblocked = setUp(tokens, true, [
      managed(1, 'ISSUER'),
      managed(2, 'CARDHOLDER'),
      managed(3, 'ISSUER'),
    ]);
    expect(await unblocked.saved.cardUnblocked('crd_aaaaaaaaaa')).toBe(2);
    expect(unblocked.calls.map((c) => [c.operation, c.references])).toEqual([
      ['search', ['DWSPMC0000000001', 'DWSPMC0000000002', 'DWSPMC0000000003']],
      ['unsuspend', ['DWSPMC0000000001', 'DWSPMC0000000003']],
    ]);
    expect(unblocked.audit.map((a) => a.subject)).toEqual(['tok_0000000001', 'tok_0000000003']);

    const nothingToResume = setUp(tokens, true, [managed(2, 'CARDHOLDER')]);
    expect(await nothingToResume.saved.cardUnblocked('crd_aaaaaaaaaa')).toBe(0);
    expect(nothingToResume.calls.map((c) => c.operation)).toEqual(['search']);
  });

  it('refuses, with its own code, when token management is not configured', async () => {
    const { saved } = setUp([token(1)], false);
    await expect(saved.cardClosed('crd_aaaaaaaaaa')).rejects.toMatchObject({
      code: 'TOKEN_MANAGEMENT_UNAVAILABLE',
      status: 503,
    });
  });
});
