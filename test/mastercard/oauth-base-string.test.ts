import { describe, expect, it } from 'vitest';
import { bodyHash, normaliseUrl, signatureBaseString } from '../../src/mastercard/oauth/base-string.js';

const EMPTY_SHA256 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('bodyHash', () => {
  it('hashes the empty string when there is no body', () => {
    expect(bodyHash()).toBe(EMPTY_SHA256);
    expect(bodyHash('')).toBe(EMPTY_SHA256);
  });

  it('hashes the UTF-8 bytes of a string, the same as the bytes themselves', () => {
    const body = '{"name":"Zoë"}';
    expect(bodyHash(body)).toBe(bodyHash(new TextEncoder().encode(body)));
    expect(bodyHash('abc')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  });
});

describe('normaliseUrl', () => {
  it.each([
    ['HTTPS://Api.Example.COM/Path/To?x=1', 'https://api.example.com/Path/To', 'x=1'],
    ['https://api.example.com', 'https://api.example.com/', ''],
    ['https://api.example.com?x=1#frag', 'https://api.example.com/', 'x=1'],
    ['https://api.example.com:443/p', 'https://api.example.com/p', ''],
    ['http://api.example.com:80/p', 'http://api.example.com/p', ''],
    ['http://api.example.com:443/p', 'http://api.example.com:443/p', ''],
    ['https://api.example.com:8443/p', 'https://api.example.com:8443/p', ''],
    ['https://api.example.com:/p', 'https://api.example.com/p', ''],
    ['https://user:secret@api.example.com/p', 'https://api.example.com/p', ''],
    ['https://bücher.example/p', 'https://xn--bcher-kva.example/p', ''],
    ['https://[::1]:8080/p', 'https://::1:8080/p', ''],
    ['https://h.example/a b?c d', 'https://h.example/a%20b', 'c%20d'],
    ['https://h.example/a\\b?c\\d', 'https://h.example/a/b', 'c%5Cd'],
    [' \thttps://h.example/p?q=1 \n', 'https://h.example/p', 'q=1'],
    ['https://h.example/p#x?y', 'https://h.example/p', ''],
  ])('%j has base URI %j and query %j', (url, baseUri, query) => {
    expect(normaliseUrl(url)).toEqual({ baseUri, query });
  });

  it('takes a URL object by its href', () => {
    const url = new URL('https://Api.example.com:443/a b/é?q=ü');
    expect(normaliseUrl(url)).toEqual(normaliseUrl(url.href));
    expect(normaliseUrl(url).baseUri).toBe('https://api.example.com/a%20b/%C3%A9');
  });

  it.each([
    ['/relative/path', 'not an absolute'],
    ['api.example.com/p', 'not an absolute'],
    ['ftp://files.example.com/p', "scheme 'ftp'"],
    ['https:///p', 'host'],
    ['https://bad host.example/p', 'host'],
    ['https://h%41.example/p', 'host'],
    // (Not an invalid punycode label such as xn--a: Node.js 24's URL parser takes it, 20's refused it.)
    ['https://[::1/p', 'host'],
  ])('refuses %j with OAUTH_URL_INVALID', (url, why) => {
    expect(() => normaliseUrl(url)).toThrow(
      expect.objectContaining({
        code: 'OAUTH_URL_INVALID',
        status: 400,
        message: expect.stringContaining(why),
      }),
    );
  });
});

const OAUTH: [string, string][] = [
  ['oauth_consumer_key', 'aaa!aaa'],
  ['oauth_nonce', 'uTeLPs6K'],
  ['oauth_signature_method', 'RSA-SHA256'],
  ['oauth_timestamp', '1524771555'],
  ['oauth_version', '1.0'],
];

describe('signatureBaseString', () => {
  it("reproduces the base string of the reference library's own test", () => {
    // Mastercard/oauth1-signer-nodejs, test/OAuth-getSignatureBaseString.test.js
    // and OAuth-extractQueryParams.test.js: the same request, base string expected there.
    const url =
      'HTTPS://SANDBOX.api.mastercard.com/merchantid/v1/merchantid?MerchantId=GOOGLE%20LTD%20ADWORDS%20%28CC%40GOOGLE.COM%29&Format=XML&Type=ExactMatch&Format=JSON';
    expect(signatureBaseString('GET', url, OAUTH)).toBe(
      'GET&https%3A%2F%2Fsandbox.api.mastercard.com%2Fmerchantid%2Fv1%2Fmerchantid&Format%3DJSON%26Format%3DXML%26MerchantId%3DGOOGLE%2520LTD%2520ADWORDS%2520%2528CC%2540GOOGLE.COM%2529%26Type%3DExactMatch%26oauth_consumer_key%3Daaa%21aaa%26oauth_nonce%3DuTeLPs6K%26oauth_signature_method%3DRSA-SHA256%26oauth_timestamp%3D1524771555%26oauth_version%3D1.0',
    );
  });

  it('uppercases the method', () => {
    expect(signatureBaseString('post', 'https://h.example/', [])).toBe('POST&https%3A%2F%2Fh.example%2F&');
  });

  it('signs query values as they appear in the URL, encoding them once more', () => {
    expect(signatureBaseString('GET', 'https://h.example/?a=b%20c&d=e+f', [])).toBe(
      'GET&https%3A%2F%2Fh.example%2F&a%3Db%2520c%26d%3De%2Bf',
    );
  });

  it('sorts names as the library does: "a!" before "a", values by code unit', () => {
    expect(signatureBaseString('GET', 'https://h.example/?a=2&a!=1&a=10&B=0', [])).toBe(
      'GET&https%3A%2F%2Fh.example%2F&B%3D0%26a%21%3D1%26a%3D10%26a%3D2',
    );
  });

  it('counts a repeated name=value pair once (library), so "?a=1&a=1" signs like "?a=1"', () => {
    expect(signatureBaseString('GET', 'https://h.example/?a=1&a=1', [])).toBe(
      signatureBaseString('GET', 'https://h.example/?a=1', []),
    );
  });

  it('treats a pair without "=" or starting with "=" as a name with an empty value', () => {
    expect(signatureBaseString('GET', 'https://h.example/?flag&=x&y=', [])).toBe(
      'GET&https%3A%2F%2Fh.example%2F&%3Dx%3D%26flag%3D%26y%3D',
    );
  });

  it("encodes only the first '*' of the parameters and the first '!' overall, never ' ( ) (library)", () => {
    expect(signatureBaseString('GET', "https://h.example/!/*?s=*,*&b=!!&p=('')", [])).toBe(
      'GET&https%3A%2F%2Fh.example%2F%21%2F*&b%3D!!%26p%3D(%2527%2527)%26s%3D%2A%2C*',
    );
  });

  it('merges OAuth parameters with query parameters of the same name', () => {
    expect(signatureBaseString('GET', 'https://h.example/?oauth_nonce=q', [['oauth_nonce', 'h']])).toBe(
      'GET&https%3A%2F%2Fh.example%2F&oauth_nonce%3Dh%26oauth_nonce%3Dq',
    );
  });

  it('refuses a method that is not an HTTP token', () => {
    for (const method of ['', 'GE T', 'GET\n', 'GÉT']) {
      expect(() => signatureBaseString(method, 'https://h.example/', [])).toThrow(
        expect.objectContaining({ code: 'OAUTH_METHOD_INVALID' }),
      );
    }
  });

  it('refuses text that is not valid Unicode instead of crashing', () => {
    expect(() => signatureBaseString('GET', 'https://h.example/\ud800', [])).toThrow(
      expect.objectContaining({ code: 'OAUTH_URL_INVALID' }),
    );
  });
});
