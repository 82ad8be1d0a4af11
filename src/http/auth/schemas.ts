import { Type } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from '../../core/error-codes.js';

/** Wire shapes of the sign-in and step-up routes. Secrets are bounded so a huge body is refused early. */
const base64url = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength });
const dateTime = Type.String({ format: 'date-time' });

export const ErrorResponse = Type.Object({
  error: Type.Object({
    // The catalogue's codes, so that the OpenAPI document lists every code a caller may meet.
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CODES) }),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

/** The error envelope documented for each status a route may refuse with. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse])) as Record<
    S,
    typeof ErrorResponse
  >;
}

export const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const SessionCreated = Type.Object({
  /** For app clients (`Authorization: Bearer`); browsers use the cookie set alongside. */
  token: Type.String(),
  cardholderId: Type.String(),
  sessionId: Type.String(),
  expiresAt: dateTime,
  idleExpiresAt: dateTime,
});

export const WhoAmI = Type.Object({
  cardholderId: Type.String(),
  sessionId: Type.String(),
  expiresAt: Type.Optional(dateTime),
  /** The step-up methods this cardholder can use. */
  sca: Type.Object({ totp: Type.Boolean(), passkeys: Type.Integer({ minimum: 0 }) }),
});

export const GrantIssued = Type.Object({
  /** Send as the `Pushprov-SCA-Grant` header on push requests of this session. */
  grant: Type.String(),
  method: Type.Union([Type.Literal('totp'), Type.Literal('webauthn'), Type.Literal('oidc')]),
  expiresAt: dateTime,
});

export const TotpEnrolment = Type.Object({
  secret: Type.String(),
  otpauthUri: Type.String(),
});

export const TotpVerifyBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 16 }) },
  { additionalProperties: false },
);

// WebAuthn options are produced by @simplewebauthn/server and passed through
// as the browser's PublicKeyCredential*OptionsJSON; only the envelope is pinned.
export const CreationOptions = Type.Object(
  { challenge: Type.String(), rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }) },
  { additionalProperties: true },
);
export const RequestOptions = Type.Object(
  { challenge: Type.String(), rpId: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

const clientExtensionResults = Type.Record(Type.String(), Type.Unknown());
const authenticatorAttachment = Type.Optional(
  Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]),
);
const transport = Type.Union(
  ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'].map((t) => Type.Literal(t)),
);

export const RegistrationResponse = Type.Object({
  id: base64url(1024),
  rawId: base64url(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(32_768),
    authenticatorData: Type.Optional(base64url(16_384)),
    transports: Type.Optional(Type.Array(transport, { maxItems: 8 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(base64url(4096)),
  }),
  clientExtensionResults,
  authenticatorAttachment,
});

export const AuthenticationResponse = Type.Object({
  id: base64url(1024),
  rawId: base64url(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(16_384),
    // Room for post-quantum signatures (ML-DSA-87: 4,627 bytes) beside RSA and ECDSA ones.
    signature: base64url(8192),
    userHandle: Type.Optional(base64url(1024)),
  }),
  clientExtensionResults,
  authenticatorAttachment,
});

export const PasskeyRegistered = Type.Object({ credentialId: Type.String() });
