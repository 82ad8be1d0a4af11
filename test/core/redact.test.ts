import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { luhnValid } from '../../src/core/luhn.js';
import { loggableUrl, maskPans, REDACTED } from '../../src/core/redact.js';
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

  it('logs a request URL as its path and query names, never a query value', () => {
    expect(
      loggableUrl('/v1/provisionings/prv_1/callback?state=s3cr3t&results%5BMCC-abc%5D=APPROVED%7CDWSP'),
    ).toBe(`/v1/provisionings/prv_1/callback?state=${REDACTED}&${REDACTED}=${REDACTED}`);
    expect(loggableUrl('/push?pushAccountData=eyJ.eyJ.sig')).toBe(`/push?pushAccountData=${REDACTED}`);
    expect(
      loggableUrl('/push?pushAccountReceipts=MCC-1,MCC-2&callbackURL=https%3A%2F%2Fbank%2Fcb%3Fstate%3Dx'),
    ).toBe(`/push?pushAccountReceipts=${REDACTED}&callbackURL=${REDACTED}`);
    expect(loggableUrl('/v1/ops/provisioning-stats')).toBe('/v1/ops/provisioning-stats');
    expect(loggableUrl('/a?')).toBe('/a');
    expect(loggableUrl('/a?%E0%A4%A=1')).toBe(`/a?${REDACTED}=${REDACTED}`);
  });

  it("writes Fastify's request lines through it", () => {
    const capture = captureStream();
    const log = createLogger({ format: 'json', destination: capture.stream });
    log.info(
      { req: { id: 'r1', method: 'GET', url: '/v1/provisionings/prv_1/callback?state=s3cr3t' } },
      'incoming',
    );
    expect(capture.text()).not.toContain('s3cr3t');
    expect(JSON.parse(capture.lines()[0] ?? '{}').req).toEqual({
      id: 'r1',
      method: 'GET',
      url: `/v1/provisionings/prv_1/callback?state=${REDACTED}`,
    });
  });
});
