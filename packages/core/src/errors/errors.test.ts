import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerSecretValue } from '../logging/redact.js';
import { CeError } from './ce-error.js';
import { errorCodes } from './error-codes.js';
import { HttpError, isRetryableStatus } from './http-error.js';
import { toCeError } from './to-ce-error.js';
import { formatPath, PluginConfigError, ValidationError } from './validation-error.js';

describe('CeError', () => {
  it('takes kind and retryable from the code unless overridden', () => {
    const error = new CeError('STORAGE_FAILED', 'disk full');
    expect(error).toMatchObject({ code: 'STORAGE_FAILED', kind: 'system', retryable: true, name: 'CeError' });
    expect(new CeError('STORAGE_FAILED', 'x', { retryable: false, kind: 'config' })).toMatchObject({
      retryable: false,
      kind: 'config',
    });
  });

  it('is recognised across copies by isInstance and keeps its cause', () => {
    const cause = new Error('low level');
    const error = new CeError('INTERNAL', 'wrapped', { cause });
    expect(CeError.isInstance(error)).toBe(true);
    expect(CeError.isInstance(new Error('plain'))).toBe(false);
    expect(CeError.isInstance({ code: 'INTERNAL' })).toBe(false);
    expect(error.cause).toBe(cause);
  });

  it('redacts registered secrets and secret patterns from its message', () => {
    registerSecretValue('sup3r-s3cret-value');
    const error = new CeError('INTERNAL', 'failed with sup3r-s3cret-value and Bearer abcdefghijkl');
    expect(error.message).not.toContain('sup3r-s3cret-value');
    expect(error.message).not.toContain('abcdefghijkl');
    expect(JSON.stringify(error.toJSON())).not.toContain('sup3r-s3cret-value');
  });

  it('documents a kind for every code', () => {
    for (const [code, spec] of Object.entries(errorCodes)) {
      expect(['config', 'transient', 'system'], code).toContain(spec.kind);
    }
  });
});

describe('HttpError', () => {
  it('derives the code and retryability from the status', () => {
    expect(
      new HttpError(undefined, 'x', { method: 'GET', url: 'https://a.example/x', status: 401 }).code,
    ).toBe('HTTP_AUTH_FAILED');
    expect(
      new HttpError(undefined, 'x', { method: 'GET', url: 'https://a.example/x', status: 429 }),
    ).toMatchObject({
      code: 'HTTP_RATE_LIMITED',
      retryable: true,
    });
    expect(
      new HttpError(undefined, 'x', { method: 'GET', url: 'https://a.example/x', status: 404 }),
    ).toMatchObject({
      code: 'HTTP_ERROR',
      retryable: false,
    });
    expect(
      new HttpError(undefined, 'x', { method: 'GET', url: 'https://a.example/x', status: 502 }).retryable,
    ).toBe(true);
    expect([400, 401, 403, 404].map(isRetryableStatus)).toEqual([false, false, false, false]);
    expect([408, 429, 500, 503].map(isRetryableStatus)).toEqual([true, true, true, true]);
  });

  it('redacts the URL and the body', () => {
    const error = new HttpError(undefined, 'bad', {
      method: 'GET',
      url: 'https://user:pw1234@a.example/x?token=abc123456&page=2',
      status: 500,
      body: '{"error":"invalid","api_key":"k-1234567890"}',
    });
    expect(error.url).toBe('https://user:[REDACTED]@a.example/x?token=[REDACTED]&page=2');
    expect(error.message).not.toContain('abc123456');
    expect(error.body).not.toContain('k-1234567890');
  });
});

describe('ValidationError', () => {
  it('lists every issue with a readable path', () => {
    const schema = z.object({ plugins: z.array(z.object({ config: z.object({ baseUrl: z.url() }) })) });
    const parsed = schema.safeParse({
      plugins: [{ config: { baseUrl: 'https://ok.example' } }, { config: { baseUrl: 'nope' } }],
    });
    expect(parsed.success).toBe(false);
    const error = ValidationError.fromZod('invalid host configuration', parsed.error as z.ZodError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues).toEqual([{ path: 'plugins[1].config.baseUrl', reason: expect.any(String) }]);
    expect(error.message).toContain('plugins[1].config.baseUrl');
  });

  it('formats odd keys with brackets', () => {
    expect(formatPath(['a', 0, 'b c', 'd'])).toBe('a[0]["b c"].d');
  });

  it('names the plugin in a PluginConfigError', () => {
    const error = new PluginConfigError('netskope', [{ path: 'tenant', reason: 'Required' }]);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', pluginId: 'netskope', kind: 'config' });
    expect(error.message).toBe('invalid configuration for plugin "netskope": tenant: Required');
  });
});

describe('toCeError', () => {
  it('normalizes anything thrown', () => {
    const own = new CeError('CONFLICT', 'x');
    expect(toCeError(own)).toBe(own);
    const abort = new DOMException('stop', 'AbortError');
    expect(toCeError(abort).code).toBe('ABORTED');
    expect(toCeError(new TypeError('boom'))).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    expect(toCeError('a string')).toMatchObject({ code: 'INTERNAL', message: 'non-error thrown: a string' });
    expect(toCeError({ weird: true }).message).toBe('non-error thrown: {"weird":true}');
    const zod = z.object({ a: z.string() }).safeParse({});
    expect(toCeError(zod.error)).toBeInstanceOf(ValidationError);
  });
});
