import { describe, expect, it } from 'vitest';
import { createJsonLogger, createMemoryLogger, createNoopLogger, type LogRecord } from './logger.js';
import { redactedMarker, redactText, redactUrl, redactValue, registerSecretValue } from './redact.js';

describe('redaction', () => {
  it('redacts secret-looking keys at any depth, keeping the rest', () => {
    const value = {
      tenant: 'acme',
      apiToken: 'tok-123456',
      nested: { password: 'hunter22', list: [{ client_secret: 'cs-99999' }], count: 3 },
      authorization: 'Bearer abc',
      empty: '',
    };
    expect(redactValue(value)).toEqual({
      tenant: 'acme',
      apiToken: redactedMarker,
      nested: { password: redactedMarker, list: [{ client_secret: redactedMarker }], count: 3 },
      authorization: redactedMarker,
      empty: '',
    });
  });

  it('redacts extra keys, cuts cycles and serializes errors', () => {
    const cyclic: Record<string, unknown> = { name: 'x', tenantKey: 'abc' };
    cyclic.self = cyclic;
    expect(redactValue(cyclic, ['tenantKey'])).toEqual({
      name: 'x',
      tenantKey: redactedMarker,
      self: '[Circular]',
    });
    const error = new Error('failed with token=abcdef123');
    expect(redactValue({ error })).toEqual({
      error: { name: 'Error', message: `failed with token=${redactedMarker}` },
    });
  });

  it('scrubs patterns and registered values from text', () => {
    registerSecretValue('registered-secret-42');
    expect(redactText('x registered-secret-42 y')).toBe(`x ${redactedMarker} y`);
    expect(redactText('Authorization: Bearer eyJhbGciOi.payload.sig')).not.toContain('eyJhbGciOi');
    expect(redactText('url?api_key=abcd1234&x=1')).toBe(`url?api_key=${redactedMarker}&x=1`);
    expect(redactText('https://bob:pa55word@host/x')).toBe(`https://bob:${redactedMarker}@host/x`);
    expect(redactText('nothing to hide here')).toBe('nothing to hide here');
  });

  it('redacts secret query parameters of a URL', () => {
    expect(redactUrl('https://a.example/p?token=abc&page=2')).toBe(
      'https://a.example/p?token=[REDACTED]&page=2',
    );
    expect(redactUrl('not a url token=abcdef')).toBe(`not a url token=${redactedMarker}`);
  });
});

describe('JSON logger', () => {
  it('writes records at or above its level with bindings, redacted', () => {
    const records: LogRecord[] = [];
    const logger = createJsonLogger({
      level: 'info',
      bindings: { service: 'ce' },
      sink: (r) => records.push(r),
      now: () => 42,
    });
    const child = logger.child({ plugin: 'netskope' });
    child.debug('hidden');
    child.info('pulled', { count: 2, apiKey: 'k-123456789' });
    expect(records).toEqual([
      {
        time: 42,
        level: 'info',
        message: 'pulled',
        fields: { service: 'ce', plugin: 'netskope', count: 2, apiKey: redactedMarker },
      },
    ]);
  });

  it('writes one JSON line per record to stderr by default', () => {
    const original = process.stderr.write.bind(process.stderr);
    const lines: string[] = [];
    process.stderr.write = ((chunk: string) => {
      lines.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      createJsonLogger({ now: () => 0 }).warn('careful', { password: 'x1' });
    } finally {
      process.stderr.write = original;
    }
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'careful',
      password: redactedMarker,
    });
  });

  it('memory logger keeps records of children; noop logger keeps nothing', () => {
    const logger = createMemoryLogger();
    logger.child({ a: 1 }).error('boom');
    expect(logger.records.map((r) => [r.level, r.message, r.fields])).toEqual([['error', 'boom', { a: 1 }]]);
    const noop = createNoopLogger();
    expect(() => noop.child({}).fatal('x')).not.toThrow();
  });
});
