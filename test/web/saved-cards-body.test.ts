import { describe, expect, it } from 'vitest';
import type { ListedToken } from '../../src/service/tokens/management.js';
import { savedCardsBody } from '../../src/web/saved-cards.js';

const at = new Date('2026-11-01T00:00:00Z');
const paused: ListedToken = {
  id: 'tok_aaaaaaaaaa',
  tokenUniqueReference: 'DWSPMC0000000001',
  cardId: 'crd_aaaaaaaaaa',
  tokenRequestorId: '50182375119',
  tokenRequestorName: 'Demo Shop',
  destination: 'merchant',
  tokenPanSuffix: '1234',
  status: 'SUSPENDED',
  lastEvent: 'SUSPENDED',
  lastEventAt: at,
  createdAt: at,
  updatedAt: at,
  pausedByCardholder: true,
  suspendedForCardBlock: false,
  logoAssetId: undefined,
};
const card = (status: string) => ({
  id: 'crd_aaaaaaaaaa',
  productName: 'World Mastercard',
  lastFour: '4444',
  status,
});

describe('the saved-card page body', () => {
  it('offers to resume a paused card while the card is active', () => {
    const html = String(savedCardsBody(card('active'), [paused]));
    expect(html).toContain('data-action="resume"');
    expect(html).toContain('data-role="resume"');
    expect(html).not.toContain('class="notice"');
    // When it was saved: a moment the page script puts in the reader's own time zone.
    expect(html).toContain(
      '· since <time datetime="2026-11-01T00:00:00.000Z" data-style="date">1 Nov 2026</time>',
    );
  });

  it('says a blocked card stays paused and offers only removal', () => {
    const html = String(savedCardsBody(card('blocked'), [paused]));
    expect(html).toContain('<p class="notice">This card is blocked');
    expect(html).not.toContain('data-action="resume"');
    expect(html).not.toContain('data-role="resume"');
    expect(html).toContain('data-action="remove"');
  });

  it('says a blocked card saved nowhere is saved nowhere, without claiming anything is paused', () => {
    const html = String(savedCardsBody(card('blocked'), []));
    expect(html).not.toContain('class="notice"');
    expect(html).not.toContain('paused');
    expect(html).toContain(
      'This card is not saved anywhere. While it is blocked it cannot be added anywhere either.',
    );
  });
});
