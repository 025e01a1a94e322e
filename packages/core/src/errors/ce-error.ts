import { redactText } from '../logging/redact.js';
import { type ErrorCode, errorCodes, type FailureKind } from './error-codes.js';

const ceErrorMarker = Symbol.for('@ce/core.CeError');

/** Options shared by every {@link CeError} constructor. */
export interface CeErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** Overrides the code's default failure kind. */
  kind?: FailureKind;
  /** Overrides whether the code's default says a retry can help. */
  retryable?: boolean;
  /** Structured, non-secret facts about the failure, for logs and API responses. */
  details?: Record<string, unknown>;
}

/**
 * The base of every error the SDK throws or returns. It carries a stable {@link ErrorCode}, a
 * failure kind, whether retrying can help, and its cause. Messages are passed through secret
 * redaction, so a token pasted into a URL or a header dump never reaches a log.
 *
 * Use {@link CeError.isInstance} rather than `instanceof`: two copies of `@ce/core` in one process
 * (a common result of npm's hoisting) still recognise each other's errors.
 */
export class CeError extends Error {
  /** Stable, documented code: see {@link errorCodes}. */
  readonly code: ErrorCode;
  /** Who must act on it. */
  readonly kind: FailureKind;
  /** Whether the same operation may succeed if repeated later. */
  readonly retryable: boolean;
  /** Structured facts about the failure; never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: CeErrorOptions = {}) {
    super(redactText(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CeError';
    this.code = code;
    this.kind = options.kind ?? errorCodes[code].kind;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.details = options.details ?? {};
    Object.defineProperty(this, ceErrorMarker, { value: true });
  }

  /** True for any {@link CeError}, including ones created by another copy of this package. */
  static isInstance(value: unknown): value is CeError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[ceErrorMarker] === true
    );
  }

  /** A plain, JSON-safe view of the error for logs and API responses. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      retryable: this.retryable,
      message: this.message,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}
