import { describe, expect, it } from 'vitest';
import { classifyNetworkError, computeBackoff, defaultRetryOptions, isIdempotentMethod } from './retry.js';

function codeError(code: string, cause?: unknown): Error {
  return Object.assign(new Error(code), { code, cause });
}

describe('retry policy', () => {
  it('knows idempotent methods', () => {
    expect(['GET', 'head', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotentMethod)).toBe(true);
    expect(isIdempotentMethod('POST')).toBe(false);
    expect(isIdempotentMethod('PATCH')).toBe(false);
  });

  it('grows the backoff exponentially up to the cap, with full jitter', () => {
    const fixed = { ...defaultRetryOptions, baseDelayMs: 100, maxDelayMs: 1_000, jitter: false };
    expect([1, 2, 3, 4, 5].map((n) => computeBackoff(n, fixed))).toEqual([100, 200, 400, 800, 1_000]);
    const jittered = { ...fixed, jitter: true };
    expect(computeBackoff(3, jittered, () => 0.5)).toBe(200);
    expect(computeBackoff(3, jittered, () => 0)).toBe(0);
  });

  it('classifies transport errors', () => {
    expect(classifyNetworkError(codeError('ECONNREFUSED'))).toMatchObject({
      code: 'HTTP_NETWORK',
      retryable: true,
      beforeSend: true,
    });
    expect(classifyNetworkError(codeError('UND_ERR_SOCKET', codeError('ECONNRESET')))).toMatchObject({
      code: 'HTTP_NETWORK',
      retryable: true,
      beforeSend: false,
      cause: 'ECONNRESET',
    });
    expect(classifyNetworkError(codeError('UND_ERR_HEADERS_TIMEOUT'))).toMatchObject({
      code: 'HTTP_TIMEOUT',
      retryable: true,
    });
    expect(classifyNetworkError(codeError('DEPTH_ZERO_SELF_SIGNED_CERT'))).toMatchObject({
      code: 'HTTP_NETWORK',
      retryable: false,
    });
    const aggregate = Object.assign(new AggregateError([codeError('ECONNREFUSED')]), {});
    expect(classifyNetworkError(aggregate).cause).toBe('ECONNREFUSED');
  });
});
