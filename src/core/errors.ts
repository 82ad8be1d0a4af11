import type { ErrorCode, WireCode } from './error-codes.js';

/**
 * The one error hierarchy of pushprov. Every error that can reach a caller
 * carries a stable machine `code` of the catalogue (src/core/error-codes.ts;
 * an unknown code does not compile), an HTTP `status` for the API edge, and a
 * message written for a human. Messages never contain card data or PII:
 * callers pass identifiers, not values.
 */
export interface ErrorOptions {
  status?: number;
  cause?: unknown;
  /** Extra machine-readable facts safe to show a caller (no secrets, no card data). */
  details?: Record<string, unknown>;
}

export class PushprovError extends Error {
  readonly code: ErrorCode | WireCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode | WireCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
  }
}

/** A configuration value is missing or malformed; start-up stops. */
export class ConfigError extends PushprovError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { status: 500 });
    this.problems = problems;
  }
}

/** The caller sent something we refuse; nothing was changed. */
export class ValidationError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 400, ...options });
  }
}

export class NotFoundError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 404, ...options });
  }
}

export class ConflictError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 409, ...options });
  }
}

export class AuthError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 401, ...options });
  }
}

export class ForbiddenError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 403, ...options });
  }
}

/** Something went wrong with a cryptographic operation (bad key, tampered data). */
export class CryptoError extends PushprovError {
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(code, message, { status: 400, ...options });
  }
}

export function isPushprovError(value: unknown): value is PushprovError {
  return value instanceof PushprovError;
}
