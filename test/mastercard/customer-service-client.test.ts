import { describe, expect, it } from 'vitest';
import { CustomerServiceClient } from '../../src/mastercard/customer-service/client.js';
import {
  CUSTOMER_SERVICE_BASE_URLS,
  customerServiceBaseUrl,
} from '../../src/mastercard/customer-service/endpoints.js';
import { CustomerServiceError } from '../../src/mastercard/customer-service/errors.js';

const BASE = 'https://mdes.test/mdes/csapi/v2';
const TUR = 'DWSPMC00000000010906a349d9ca4eb1a4d53e3c90a11d9c';
const AUDIT = { UserId: 'A1435477', UserName: 'John Smith', Organization: 'Any Bank' };
const PAN = '5412345678901234';

interface Sent {
  url: string;
  body: unknown;
  authorization: string | null;
}

/** A client whose fetch answers from `answers` in turn and records what was sent. */
function client(...answers: [number, unknown][]) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    sent.push({
      url: String(input),
      body: JSON.parse(String(init?.body)),
      authorization: headers.get('authorization'),
    });
    const [status, body] = answers.shift() ?? [500, {}];
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  const cs = new CustomerServiceClient({
    environment: { baseUrl: `${BASE}/` },
    signer: { authorizationHeader: (method, url) => `OAuth signed="${method} ${url}"` },
    fetch,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  });
  return { cs, sent };
}

const simple = (name: string) => ({ [name]: { Token: { TokenUniqueReference: TUR, CommentId: '2376' } } });

describe('MDES Customer Service client: what it sends (2.0.7)', () => {
  it('sends each change as one token in its PascalCase wrapper, with the reason code and AuditInfo, signed', async () => {
    const { cs, sent } = client(
      [200, simple('TokenSuspendResponse')],
      [200, simple('TokenUnsuspendResponse')],
      [200, simple('TokenDeleteResponse')],
      [200, simple('TokenActivateResponse')],
    );
    expect(
      await cs.suspend({
        tokenUniqueReference: TUR,
        reasonCode: 'T',
        auditInfo: AUDIT,
        commentText: 'Fraud',
      }),
    ).toEqual({ TokenUniqueReference: TUR, CommentId: '2376' });
    await cs.unsuspend({ tokenUniqueReference: TUR, reasonCode: 'F', auditInfo: AUDIT });
    await cs.delete({ tokenUniqueReference: TUR, reasonCode: 'C', auditInfo: AUDIT });
    await cs.activate({ tokenUniqueReference: TUR, reasonCode: 'A', auditInfo: AUDIT });
    expect(sent).toEqual([
      {
        url: `${BASE}/token/suspend`,
        body: {
          TokenSuspendRequest: {
            TokenUniqueReference: TUR,
            ReasonCode: 'T',
            CommentText: 'Fraud',
            AuditInfo: AUDIT,
          },
        },
        authorization: `OAuth signed="POST ${BASE}/token/suspend"`,
      },
      {
        url: `${BASE}/token/unsuspend`,
        body: { TokenUnsuspendRequest: { TokenUniqueReference: TUR, ReasonCode: 'F', AuditInfo: AUDIT } },
        authorization: expect.any(String),
      },
      {
        url: `${BASE}/token/delete`,
        body: { TokenDeleteRequest: { TokenUniqueReference: TUR, ReasonCode: 'C', AuditInfo: AUDIT } },
        authorization: expect.any(String),
      },
      {
        url: `${BASE}/token/activate`,
        body: { TokenActivateRequest: { TokenUniqueReference: TUR, ReasonCode: 'A', AuditInfo: AUDIT } },
        authorization: expect.any(String),
      },
    ]);
  });

  it('searches by one criterion, and reads the tokens of every account in the answer', async () => {
    const answer = {
      SearchResponse: {
        Accounts: {
          Account: [
            {
              AccountPanSuffix: '1234',
              ExpirationDate: '1215',
              Tokens: {
                Token: [
                  {
                    TokenUniqueReference: TUR,
                    TokenSuffix: '7639',
                    CurrentStatusCode: 'S',
                    CurrentStatusDescription: 'Suspended',
                    Suspenders: { Suspender: ['I', 'W'] },
                    TokenRequestorId: '00212345678',
                  },
                ],
              },
            },
          ],
        },
      },
    };
    const { cs, sent } = client([200, answer], [200, { SearchResponse: { Accounts: { Account: [] } } }]);
    expect(await cs.search({ tokenUniqueReference: TUR }, AUDIT)).toEqual(
      answer.SearchResponse.Accounts.Account[0]?.Tokens.Token,
    );
    expect(await cs.search({ accountPan: PAN }, AUDIT, { excludeDeleted: true })).toEqual([]);
    expect(sent.map((s) => [s.url, s.body])).toEqual([
      [`${BASE}/search`, { SearchRequest: { TokenUniqueReference: TUR, AuditInfo: AUDIT } }],
      [
        `${BASE}/search`,
        { SearchRequest: { AccountPan: PAN, ExcludeDeletedIndicator: 'true', AuditInfo: AUDIT } },
      ],
    ]);
  });

  it('updates a token after a card replacement with the full new number, expiry and sequence number', async () => {
    const { cs, sent } = client([
      200,
      { TokenUpdateResponse: { Tokens: { Token: [{ TokenUniqueReference: TUR }] } } },
    ]);
    expect(
      await cs.update({
        tokenUniqueReference: TUR,
        newAccountPan: PAN,
        expirationDate: '0125',
        accountPanSequenceNumber: '1',
        auditInfo: AUDIT,
      }),
    ).toEqual([{ TokenUniqueReference: TUR }]);
    expect(sent[0]?.body).toEqual({
      TokenUpdateRequest: {
        TokenUniqueReference: TUR,
        NewAccountPan: PAN,
        ExpirationDate: '0125',
        AccountPanSequenceNumber: '1',
        AuditInfo: AUDIT,
      },
    });
  });

  it('reads the status history', async () => {
    const statuses = [
      { StatusCode: 'A', StatusDateTime: '2015-01-21T00:04:35.000Z', Initiator: 'W' },
      {
        StatusCode: 'S',
        StatusDateTime: '2015-01-22T00:04:35.000Z',
        Initiator: 'I',
        ReasonCode: 'T',
        AuditInfo: AUDIT,
      },
    ];
    const { cs, sent } = client([200, { TokenStatusHistoryResponse: { Statuses: { Status: statuses } } }]);
    expect(await cs.statusHistory(TUR, AUDIT)).toEqual(statuses);
    expect(sent[0]).toMatchObject({
      url: `${BASE}/token/statushistory`,
      body: { TokenStatusHistoryRequest: { TokenUniqueReference: TUR, AuditInfo: AUDIT } },
    });
  });

  it('lists a token’s activation methods and has MDES resend an activation code by one of them', async () => {
    const methods = [
      {
        ActivationMethodId: '1',
        ActivationMethodType: 'SMS',
        ActivationMethodValue: '12X-XXX-XX32',
        ResendIndicator: 'TRUE',
      },
    ];
    const { cs, sent } = client(
      [200, { TokenActivationMethodsResponse: { ActivationMethods: { ActivationMethod: methods } } }],
      [200, { TokenResendActivationCodeResponse: { Token: { TokenUniqueReference: TUR } } }],
    );
    expect(await cs.activationMethods(TUR, AUDIT)).toEqual(methods);
    expect(
      await cs.resendActivationCode({ tokenUniqueReference: TUR, activationMethodId: '1', auditInfo: AUDIT }),
    ).toEqual({
      TokenUniqueReference: TUR,
    });
    expect(sent.map((s) => [s.url, s.body])).toEqual([
      [
        `${BASE}/token/activationmethods`,
        { TokenActivationMethodsRequest: { TokenUniqueReference: TUR, AuditInfo: AUDIT } },
      ],
      [
        `${BASE}/token/resendactivationcode`,
        {
          TokenResendActivationCodeRequest: {
            TokenUniqueReference: TUR,
            ActivationMethodId: '1',
            AuditInfo: AUDIT,
          },
        },
      ],
    ]);
    // A resend names the method: without it nothing is sent.
    await expect(
      cs.resendActivationCode({ tokenUniqueReference: TUR, activationMethodId: '', auditInfo: AUDIT }),
    ).rejects.toMatchObject({ code: 'CUSTOMER_SERVICE_INVALID_REQUEST' });
    expect(sent).toHaveLength(2);
  });

  it('refuses before sending what the spec does not allow, naming the field and never the card number', async () => {
    const { cs, sent } = client();
    const refusals = [
      () => cs.suspend({ tokenUniqueReference: TUR, reasonCode: 'C' as 'T', auditInfo: AUDIT }),
      () => cs.delete({ tokenUniqueReference: TUR, reasonCode: 'Z', auditInfo: { ...AUDIT, UserName: '' } }),
      () => cs.unsuspend({ tokenUniqueReference: `${TUR}x`, reasonCode: 'Z', auditInfo: AUDIT }),
      () => cs.update({ tokenUniqueReference: TUR, newAccountPan: `${PAN}99999`, auditInfo: AUDIT }),
      () => cs.update({ tokenUniqueReference: TUR, auditInfo: AUDIT }),
    ];
    for (const refuse of refusals) {
      const error = (await refuse().then(
        () => undefined,
        (e: unknown) => e,
      )) as Error & { code: string };
      expect(error).toMatchObject({ code: 'CUSTOMER_SERVICE_INVALID_REQUEST', status: 400 });
      expect(error.message).not.toContain(PAN);
    }
    expect(sent).toEqual([]);
  });
});

describe('MDES Customer Service client: what it reads back', () => {
  it("reads the API's error envelope (Recoverable as a string), and does not retry what is not recoverable", async () => {
    const refusal = {
      Errors: {
        Error: [
          {
            Source: 'TokenSuspendRequest.TokenUniqueReference',
            ReasonCode: 'INVALID_FIELD_VALUE',
            Description: 'Invalid Field Value',
            Recoverable: 'false',
          },
        ],
      },
    };
    const { cs, sent } = client([404, refusal]);
    const error = (await cs
      .suspend({ tokenUniqueReference: TUR, reasonCode: 'Z', auditInfo: AUDIT })
      .catch((e: unknown) => e)) as CustomerServiceError;
    expect(error).toBeInstanceOf(CustomerServiceError);
    expect(error).toMatchObject({
      code: 'CUSTOMER_SERVICE_REJECTED',
      operation: 'suspend',
      httpStatus: 404,
      reasonCode: 'INVALID_FIELD_VALUE',
      source: 'TokenSuspendRequest.TokenUniqueReference',
      recoverable: false,
      attempts: 1,
    });
    expect(sent).toHaveLength(1);
  });

  it('retries what MDES marks recoverable, the same body again; a gateway refusal (boolean Recoverable) is final', async () => {
    const busy = {
      Errors: { Error: [{ Source: 'System', ReasonCode: 'SERVICE_UNAVAILABLE', Recoverable: 'true' }] },
    };
    const { cs, sent } = client([503, busy], [200, simple('TokenDeleteResponse')]);
    await cs.delete({ tokenUniqueReference: TUR, reasonCode: 'C', auditInfo: AUDIT });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toEqual(sent[0]?.body);

    const gateway = {
      Errors: { Error: [{ Source: 'Gateway', ReasonCode: 'OAUTH_BAD_SIGNATURE', Recoverable: false }] },
    };
    const refused = client([401, gateway]);
    await expect(
      refused.cs.delete({ tokenUniqueReference: TUR, reasonCode: 'C', auditInfo: AUDIT }),
    ).rejects.toMatchObject({
      code: 'CUSTOMER_SERVICE_REJECTED',
      reasonCode: 'OAUTH_BAD_SIGNATURE',
      source: 'Gateway',
    });
    expect(refused.sent).toHaveLength(1);
  });

  it('calls an answer that is not the operation’s shape unexpected, a 200 error envelope rejected', async () => {
    const { cs } = client(
      [200, '<html>proxy</html>'],
      [200, { TokenSuspendResponse: {} }],
      [
        200,
        {
          Errors: { Error: [{ Source: 'System', ReasonCode: 'AUTHORIZATION_FAILED', Recoverable: 'false' }] },
        },
      ],
    );
    const ask = () => cs.suspend({ tokenUniqueReference: TUR, reasonCode: 'Z', auditInfo: AUDIT });
    await expect(ask()).rejects.toMatchObject({ code: 'CUSTOMER_SERVICE_UNEXPECTED_RESPONSE' });
    await expect(ask()).rejects.toMatchObject({ code: 'CUSTOMER_SERVICE_UNEXPECTED_RESPONSE' });
    await expect(ask()).rejects.toMatchObject({
      code: 'CUSTOMER_SERVICE_REJECTED',
      reasonCode: 'AUTHORIZATION_FAILED',
    });
  });

  it("knows the environments' base URLs, MTF on the production host", () => {
    expect(CUSTOMER_SERVICE_BASE_URLS).toEqual({
      sandbox: 'https://sandbox.api.mastercard.com/mdes/csapi/v2',
      mtf: 'https://api.mastercard.com/mdes/csapi/mtf/v2',
      production: 'https://api.mastercard.com/mdes/csapi/v2',
    });
    expect(customerServiceBaseUrl('mtf')).toBe('https://api.mastercard.com/mdes/csapi/mtf/v2');
    expect(customerServiceBaseUrl({ baseUrl: 'http://localhost:8081/mdes/csapi/v2/' })).toBe(
      'http://localhost:8081/mdes/csapi/v2',
    );
  });
});
