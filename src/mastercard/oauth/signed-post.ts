import type { OAuthSigner } from './signer.js';

export interface SignedPostOptions {
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  fetch?: typeof globalThis.fetch;
  /** Until the answer's headers arrive. */
  timeoutMs: number;
}

/**
 * POSTs a JSON body signed with OAuth 1.0a over its exact bytes. A redirect
 * is answered, never followed: the signature covers this URL, not another.
 * Network failures and timeouts reject as `fetch` does (a TimeoutError for
 * the latter).
 */
export function signedPost(url: string, body: string, options: SignedPostOptions): Promise<Response> {
  return (options.fetch ?? globalThis.fetch)(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: options.signer.authorizationHeader('POST', url, body),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
}

/** GETs a URL signed with OAuth 1.0a (no body, so no body hash of content). */
export function signedGet(url: string, options: SignedPostOptions): Promise<Response> {
  return (options.fetch ?? globalThis.fetch)(url, {
    method: 'GET',
    headers: { accept: 'application/json', authorization: options.signer.authorizationHeader('GET', url) },
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
}
