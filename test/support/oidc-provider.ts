import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type AccessToken, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import * as client from 'openid-client';

/**
 * A real OpenID provider (panva's oidc-provider) in the test process, as a
 * bank would run one: authorization code flow with PKCE, access tokens as
 * RFC 9068 JWTs for pushprov's audience carrying acr, amr, auth_time and the
 * provider's session id. Who signs in, and how strongly, is the test's to
 * say (`nextLogin`): the interaction finishes at once, without a page.
 * `rotateKeys()` puts a provider with a new signing key behind the same
 * issuer URL, as a bank's key rotation does. Its introspection (RFC 7662)
 * and revocation (RFC 7009) endpoints take its JWT access tokens, as a
 * bank's provider's do (Keycloak's).
 */
interface Login {
  accountId: string;
  acr: string;
  amr: string[];
  /** Extra claims of that account (e.g. a customer reference). */
  claims?: Record<string, string>;
}

export const STRONG = { acr: 'urn:bank:sca', amr: ['pwd', 'otp'] };
export const WEAK = { acr: 'urn:bank:password', amr: ['pwd'] };

/** The bank app's client (public, PKCE) and pushprov's (confidential), both registered. */
const BANK_APP = { clientId: 'bank-app', redirectUri: 'com.bank.app:/callback' };
export const PUSHPROV_CLIENT = { clientId: 'pushprov', clientSecret: 'pushprov-client-secret-0123456789' };
/** oidc-provider's default routes of the two endpoints. */
const INTROSPECTION_PATH = '/token/introspection';
const REVOCATION_PATH = '/token/revocation';

export interface TestIdp {
  issuer: string;
  nextLogin: Login;
  /** The `typ` header of the access tokens it issues: RFC 9068's `at+jwt` unless set (Keycloak's is `JWT`). */
  accessTokenTyp: string | undefined;
  /** A new signing key; `keep` also keeps publishing the old one (a rotation's overlap). */
  rotateKeys(options?: { keep?: boolean }): Promise<void>;
  /** Tokens for the bank app, as its own sign-in (or step-up, with `parameters`) would get them. */
  bankAppTokens(
    login: Login,
    parameters?: Record<string, string>,
  ): Promise<{ accessToken: string; idToken: string }>;
  /** Revokes an access token at the provider's revocation endpoint, as the bank app's sign-out does. */
  revoke(accessToken: string): Promise<void>;
  /** How many introspection requests reached the provider. */
  readonly introspections: number;
  /** While set, the introspection endpoint drops every connection (the endpoint unreachable). */
  introspectionDown: boolean;
  /** Follows the provider's redirects from an authorization URL, cookies kept, to the client's redirect URI. */
  authorize(url: string, login: Login): Promise<URL>;
  close(): Promise<void>;
}

const signingKey = async (kid: string): Promise<JWK> => {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
};

export async function startTestIdp(options: {
  /** pushprov's audience (its issuer URL). */
  audience: string;
  /** Where pushprov's client is sent back (`<issuer URL>/app/oidc/callback`); may be set later. */
  pushprovRedirectUri?: string;
  accessTokenTtlSeconds?: number;
  /** false: a provider without introspection (its discovery document names no endpoint). */
  introspection?: boolean;
}): Promise<TestIdp & { setPushprovRedirectUri(uri: string): Promise<void> }> {
  let provider: Provider | undefined;
  const server: Server = createServer((req, res) => {
    if (!provider) return void res.writeHead(503).end();
    if (req.url?.startsWith('/interaction/')) return void finishInteraction(provider, req, res);
    if (req.method === 'POST' && req.url === INTROSPECTION_PATH) {
      idp.introspections++;
      if (idp.introspectionDown) return void req.socket.destroy();
    }
    if (req.method === 'POST' && (req.url === INTROSPECTION_PATH || req.url === REVOCATION_PATH))
      return void byTokenId(provider, req, res);
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let keys = [await signingKey('key-1')];
  let redirectUri = options.pushprovRedirectUri ?? `${options.audience}/app/oidc/callback`;
  const idp: {
    nextLogin: Login;
    accessTokenTyp: string | undefined;
    introspections: number;
    introspectionDown: boolean;
  } = {
    nextLogin: { accountId: 'nobody', ...WEAK },
    accessTokenTyp: undefined,
    introspections: 0,
    introspectionDown: false,
  };
  const accounts = new Map<string, Record<string, string>>();

  async function finishInteraction(
    p: Provider,
    req: Parameters<Provider['interactionDetails']>[0],
    res: Parameters<Provider['interactionDetails']>[1],
  ) {
    try {
      const details = await p.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        const { accountId, acr, amr, claims } = idp.nextLogin;
        accounts.set(accountId, claims ?? {});
        await p.interactionFinished(
          req,
          res,
          { login: { accountId, acr, amr } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grant = new p.Grant({
        accountId: details.session?.accountId ?? '',
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      grant.addResourceScope(options.audience, 'cards');
      await p.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  }

  /*
   * oidc-provider keeps no record of a JWT access token, so its introspection and revocation endpoints
   * refuse one; a bank's provider does both. So each JWT access token is also recorded as an opaque one
   * would be, under its jti, and those two endpoints are given the jti in its place: the provider's own
   * client authentication, introspection and revocation do the rest.
   */
  const recordAccessToken = async (token: AccessToken) => {
    const fields = (token.constructor as typeof AccessToken).IN_PAYLOAD;
    const record = token as unknown as Record<string, unknown>;
    const payload = Object.fromEntries(
      fields.flatMap((f) => (record[f] === undefined ? [] : [[f, record[f]]])),
    );
    await token.adapter.upsert(token.jti, payload as AdapterPayload, token.remainingTTL);
  };

  async function byTokenId(p: Provider, req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    try {
      const { jti } = decodeJwt(params.token ?? '');
      if (jti !== undefined) params.token = jti;
    } catch {
      // Not a JWT: the provider judges it as it is.
    }
    // Read already: oidc-provider takes a parsed body from `req.body`.
    Object.assign(req, { body: params });
    p.callback()(req, res);
  }

  const build = () => {
    const built = new Provider(issuer, {
      clients: [
        {
          client_id: BANK_APP.clientId,
          token_endpoint_auth_method: 'none',
          redirect_uris: [BANK_APP.redirectUri],
          application_type: 'native',
        },
        {
          client_id: PUSHPROV_CLIENT.clientId,
          client_secret: PUSHPROV_CLIENT.clientSecret,
          redirect_uris: [redirectUri],
        },
      ],
      jwks: { keys },
      cookies: { keys: ['test-idp-cookie-key'] },
      acrValues: [STRONG.acr, WEAK.acr],
      pkce: { required: () => true },
      findAccount: (_ctx, sub) => ({
        accountId: sub,
        claims: () => ({ sub, ...accounts.get(sub) }),
      }),
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: options.introspection ?? true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'cards',
            audience: options.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds ?? 300,
          }),
        },
      },
      formats: {
        customizers: {
          jwt: (_ctx, _token, jwt) => {
            if (idp.accessTokenTyp !== undefined) jwt.header = { typ: idp.accessTokenTyp };
          },
        },
      },
      // What the bank's provider is configured to put in pushprov's access tokens (docs/oidc.md).
      extraTokenClaims: (ctx: KoaContextWithOIDC) => {
        const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
        if (!source) return undefined;
        return {
          acr: source.acr,
          amr: source.amr,
          auth_time: source.authTime,
          sid: source.sessionUid,
          ...accounts.get(source.accountId ?? ''),
        };
      },
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const accountId = ctx.oidc.session?.accountId;
        if (!accountId || !ctx.oidc.client) return undefined;
        const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client.clientId });
        grant.addOIDCScope('openid');
        grant.addResourceScope(options.audience, 'cards');
        await grant.save();
        return grant;
      },
    });
    built.on('access_token.issued', (token) => void recordAccessToken(token));
    return built;
  };
  provider = build();

  const bankApp = () =>
    client.discovery(new URL(issuer), BANK_APP.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });

  // Each sign-in in a browser of its own: the provider ends a session when another account signs in.
  async function authorize(url: string, login: Login): Promise<URL> {
    const jar = new Map<string, string>();
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    idp.nextLogin = login;
    let next = new URL(url);
    for (let hop = 0; hop < 10; hop++) {
      if (next.origin !== issuer) return next;
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: cookieHeader() } });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = response.headers.get('location');
      if (!location)
        throw new Error(
          `the provider stopped at ${next.pathname}: ${response.status} ${await response.text()}`,
        );
      next = new URL(location, next);
    }
    throw new Error('too many redirects at the provider');
  }

  return {
    issuer,
    get nextLogin() {
      return idp.nextLogin;
    },
    set nextLogin(login: Login) {
      idp.nextLogin = login;
    },
    get accessTokenTyp() {
      return idp.accessTokenTyp;
    },
    set accessTokenTyp(typ: string | undefined) {
      idp.accessTokenTyp = typ;
    },
    get introspections() {
      return idp.introspections;
    },
    get introspectionDown() {
      return idp.introspectionDown;
    },
    set introspectionDown(down: boolean) {
      idp.introspectionDown = down;
    },
    authorize,
    async revoke(accessToken) {
      await client.tokenRevocation(await bankApp(), accessToken, { token_type_hint: 'access_token' });
    },
    async bankAppTokens(login, parameters = {}) {
      const config = await bankApp();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: BANK_APP.redirectUri,
        scope: 'openid',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        resource: options.audience,
        ...parameters,
      });
      const callback = await authorize(url.href, login);
      const tokens = await client.authorizationCodeGrant(
        config,
        callback,
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource: options.audience },
      );
      return { accessToken: tokens.access_token, idToken: tokens.id_token ?? '' };
    },
    async rotateKeys({ keep = false } = {}) {
      keys = [await signingKey(`key-${keys.length + 1}`), ...(keep ? keys : [])];
      provider = build();
    },
    async setPushprovRedirectUri(uri) {
      redirectUri = uri;
      provider = build();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
