import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { problemsOf } from '../support/config-problems.js';

const GOOD = {
  PUSHPROV_OIDC_ISSUER: 'https://login.bank.example/realms/cardholders',
  PUSHPROV_OIDC_CLIENT_ID: 'pushprov',
  PUSHPROV_OIDC_SCA_ACR: 'urn:bank:sca',
};

describe('the bank’s OpenID provider’s configuration', () => {
  it('is off by default: the demo sign-in', () => {
    expect(loadConfig({}).oidcIssuer).toBeUndefined();
  });

  it('reads the issuer with its defaults, and lists as given', () => {
    const config = loadConfig({
      ...GOOD,
      PUSHPROV_ISSUER_URL: 'https://bank.example',
      PUSHPROV_OIDC_SCA_AMR: 'mfa, hwk',
      PUSHPROV_OIDC_SCOPES: 'openid profile',
    });
    expect(config).toMatchObject({
      oidcIssuer: GOOD.PUSHPROV_OIDC_ISSUER,
      oidcAudience: 'https://bank.example',
      oidcAlgorithms: ['RS256', 'PS256', 'ES256'],
      oidcAccessTokenTypes: ['at+jwt'],
      oidcCardholderClaim: 'sub',
      oidcClockToleranceSeconds: 30,
      oidcClientId: 'pushprov',
      oidcScopes: ['openid', 'profile'],
      oidcScaAcr: ['urn:bank:sca'],
      oidcScaAmr: ['mfa', 'hwk'],
      oidcScaMaxAgeSeconds: 300,
    });
  });

  it('accepts plain http only on the machine itself', () => {
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_ISSUER: 'http://127.0.0.1:7440' })).toEqual([]);
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_ISSUER: 'http://localhost:7440/idp' })).toEqual([]);
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_ISSUER: 'http://login.bank.example' })).toEqual([
      'PUSHPROV_OIDC_ISSUER="http://login.bank.example": expected an https URL (http only on a loopback host)',
    ]);
  });

  it('names each bad value once', () => {
    expect(
      problemsOf({
        ...GOOD,
        PUSHPROV_OIDC_ISSUER: 'https://login.bank.example/?tenant=1',
        PUSHPROV_OIDC_ALGORITHMS: 'RS256,HS256',
        PUSHPROV_OIDC_SCOPES: 'profile email',
        PUSHPROV_OIDC_CLOCK_TOLERANCE_SECONDS: '-1',
        PUSHPROV_OIDC_SCA_MAX_AGE_SECONDS: '0',
      }),
    ).toEqual([
      'PUSHPROV_OIDC_ISSUER="https://login.bank.example/?tenant=1": expected an issuer URL without query or fragment',
      'PUSHPROV_OIDC_ALGORITHMS="RS256,HS256": expected some of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      'PUSHPROV_OIDC_CLOCK_TOLERANCE_SECONDS="-1": expected a whole number ≥ 0',
      'PUSHPROV_OIDC_SCOPES="profile email": expected openid among the scopes',
      'PUSHPROV_OIDC_SCA_MAX_AGE_SECONDS="0": expected a positive integer',
    ]);
  });

  it('needs a client and a rule for what counts as strong with an issuer', () => {
    expect(problemsOf({ PUSHPROV_OIDC_ISSUER: GOOD.PUSHPROV_OIDC_ISSUER })).toEqual([
      'PUSHPROV_OIDC_CLIENT_ID: required with PUSHPROV_OIDC_ISSUER',
      "PUSHPROV_OIDC_SCA_ACR or PUSHPROV_OIDC_SCA_AMR: required with PUSHPROV_OIDC_ISSUER (which of the provider's authentications count as strong)",
    ]);
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_SCA_ACR: '', PUSHPROV_OIDC_SCA_AMR: 'mfa' })).toEqual([]);
  });

  it('refuses provider settings without a provider rather than ignore them', () => {
    expect(problemsOf({ PUSHPROV_OIDC_CLIENT_ID: 'pushprov', PUSHPROV_OIDC_SCA_AMR: 'mfa' })).toEqual([
      'PUSHPROV_OIDC_CLIENT_ID: only used with PUSHPROV_OIDC_ISSUER',
      'PUSHPROV_OIDC_SCA_AMR: only used with PUSHPROV_OIDC_ISSUER',
    ]);
  });

  it('accepts other access token types as a list, and not with pushprov’s client id as the audience', () => {
    expect(
      loadConfig({ ...GOOD, PUSHPROV_OIDC_ACCESS_TOKEN_TYPES: 'at+jwt, JWT' }).oidcAccessTokenTypes,
    ).toEqual(['at+jwt', 'JWT']);
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_ACCESS_TOKEN_TYPES: 'at+jwt,"JWT"' })).toEqual([
      'PUSHPROV_OIDC_ACCESS_TOKEN_TYPES="at+jwt,\\"JWT\\"": expected token types such as at+jwt or JWT, separated by commas or spaces',
    ]);
    const sameAudience = { ...GOOD, PUSHPROV_OIDC_AUDIENCE: GOOD.PUSHPROV_OIDC_CLIENT_ID };
    expect(problemsOf(sameAudience)).toEqual([]);
    expect(problemsOf({ ...sameAudience, PUSHPROV_OIDC_ACCESS_TOKEN_TYPES: 'application/at+jwt' })).toEqual(
      [],
    );
    expect(problemsOf({ ...sameAudience, PUSHPROV_OIDC_ACCESS_TOKEN_TYPES: 'at+jwt,JWT' })).toEqual([
      'PUSHPROV_OIDC_AUDIENCE: must differ from PUSHPROV_OIDC_CLIENT_ID when PUSHPROV_OIDC_ACCESS_TOKEN_TYPES accepts more than at+jwt (an ID token would pass as an access token)',
    ]);
  });

  it('asks the provider about each token only when introspection is on, with pushprov’s client by default', () => {
    expect(loadConfig({ ...GOOD, PUSHPROV_OIDC_CLIENT_SECRET: 's3cret' })).toMatchObject({
      oidcIntrospection: false,
      oidcIntrospectionCacheSeconds: 30,
    });
    const on = { ...GOOD, PUSHPROV_OIDC_CLIENT_SECRET: 's3cret', PUSHPROV_OIDC_INTROSPECTION: 'on' };
    expect(loadConfig(on)).toMatchObject({
      oidcIntrospection: true,
      oidcIntrospectionClientId: undefined,
      oidcIntrospectionClientSecret: undefined,
    });
    expect(
      loadConfig({
        ...on,
        PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID: 'pushprov-rs',
        PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: 'rs-secret',
        PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS: '0',
      }),
    ).toMatchObject({
      oidcIntrospectionClientId: 'pushprov-rs',
      oidcIntrospectionClientSecret: 'rs-secret',
      oidcIntrospectionCacheSeconds: 0,
    });
  });

  it('names each bad introspection setting once, the secret hidden', () => {
    const on = { ...GOOD, PUSHPROV_OIDC_INTROSPECTION: 'on' };
    expect(problemsOf({ ...GOOD, PUSHPROV_OIDC_INTROSPECTION: 'sometimes' })).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION="sometimes": expected true or false',
    ]);
    expect(problemsOf(on)).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: required with PUSHPROV_OIDC_INTROSPECTION=on (the introspection endpoint authenticates its caller), unless PUSHPROV_OIDC_CLIENT_SECRET is set',
    ]);
    expect(problemsOf({ ...on, PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: 'rs-secret' })).toEqual([]);
    expect(
      problemsOf({
        ...on,
        PUSHPROV_OIDC_CLIENT_SECRET: 's3cret',
        PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID: 'rs',
      }),
    ).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: required with PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID',
    ]);
    expect(
      problemsOf({
        ...on,
        PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: ' ',
        PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS: '301',
      }),
    ).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET=(hidden): expected a non-empty value',
      'PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS="301": expected whole seconds from 0 to 300',
      'PUSHPROV_OIDC_INTROSPECTION_CLIENT_SECRET: required with PUSHPROV_OIDC_INTROSPECTION=on (the introspection endpoint authenticates its caller), unless PUSHPROV_OIDC_CLIENT_SECRET is set',
    ]);
    expect(
      problemsOf({
        ...on,
        PUSHPROV_OIDC_CLIENT_SECRET: 's',
        PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS: '-1',
      }),
    ).toEqual(['PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS="-1": expected whole seconds from 0 to 300']);
  });

  it('refuses introspection settings without introspection on, or without a provider', () => {
    expect(
      problemsOf({
        ...GOOD,
        PUSHPROV_OIDC_INTROSPECTION: 'off',
        PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID: 'rs',
        PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS: '5',
      }),
    ).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION_CLIENT_ID: only used with PUSHPROV_OIDC_INTROSPECTION=on',
      'PUSHPROV_OIDC_INTROSPECTION_CACHE_SECONDS: only used with PUSHPROV_OIDC_INTROSPECTION=on',
    ]);
    expect(problemsOf({ PUSHPROV_OIDC_INTROSPECTION: 'on' })).toEqual([
      'PUSHPROV_OIDC_INTROSPECTION: only used with PUSHPROV_OIDC_ISSUER',
    ]);
  });

  it('hides the client secret when it reports a bad value', () => {
    const problems = problemsOf({ ...GOOD, PUSHPROV_OIDC_CLIENT_SECRET: '   ' });
    expect(problems).toEqual(['PUSHPROV_OIDC_CLIENT_SECRET=(hidden): expected a non-empty value']);
  });
});
