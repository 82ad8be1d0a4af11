import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { luhnValid } from '../../src/core/luhn.js';
import { maskPans, REDACTED } from '../../src/core/redact.js';
import { captureStream } from '../support/capture.js';

// Mastercard test numbers (Luhn-valid, never issued to a person).
const PAN = '5555555555554444';
const PAN_19 = '2223000048400011'; // 16-digit 2-series test card

describe('log redaction', () => {
  it('masks PAN-shaped numbers and secret fields in every line, wherever they hide', () => {
    const capture = captureStream();
    const log = createLogger({ format: 'json', destination: capture.stream });
    log.info(`pushing card ${PAN} now`);
    log.info({ card: { pan: PAN, cvc: '123', expiry: '12/29' } }, 'nested');
    log.info({ note: `grouped 5555 5555 5555 4444 and dashed 5555-5555-5555-4444` }, 'grouped');
    log.info({ innocent: Number(PAN), alsoInnocent: PAN_19 }, 'numbers');
    log.warn({ headers: { authorization: 'OAuth oauth_signature="abc"', Cookie: 'sid=1' } }, 'headers');
    log.error({ password: 'hunter2', email: 'ada@example.com', list: [{ securityCode: '999' }] }, 'secrets');
    log.error(new Error(`decline for ${PAN}`), 'error');

    const out = capture.text();
    expect(capture.lines()).toHaveLength(7);
    for (const secret of [
      PAN,
      PAN_19,
      '5555 5555 5555 4444',
      '5555-5555-5555-4444',
      'hunter2',
      'ada@example.com',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).not.toContain('oauth_signature');
    expect(out).not.toContain('"123"');
    expect(out).not.toContain('"999"');
    expect(out).toContain('[PAN …4444]');
    expect(out).toContain(REDACTED);
    // Non-secret facts survive.
    expect(out).toContain('"expiry":"12/29"');
    expect(out).toContain('pushing card');
  });

  it('leaves ordinary numbers alone: ids, timestamps, durations, short codes', () => {
    // Each of these digit runs fails Luhn or is a fraction, so none is card-shaped.
    for (const s of ['order 1234567890123', 'at 1795571433123', 'ref 2026112501512345', 'code 123456']) {
      expect(maskPans(s)).toBe(s);
    }
    expect(maskPans('took 5.1234567890123456ms')).toBe('took 5.1234567890123456ms');
  });

  it('never lets a Luhn-valid 13–19 digit run through (property)', () => {
    const pan = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 18 }).map((digits) => {
      const body = digits.join('');
      for (let check = 0; check <= 9; check++) if (luhnValid(body + check)) return body + check;
      return body;
    });
    fc.assert(
      fc.property(pan, fc.string(), fc.string(), (p, before, after) => {
        const masked = maskPans(`${before.replace(/[\d.]/g, '')} ${p} ${after.replace(/[\d.]/g, '')}`);
        expect(masked).not.toContain(p);
      }),
    );
  });
});
