import { describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import type { ValidationError } from '../errors/validation-error.js';
import {
  compareCodePoints,
  createStorageGate,
  normalizeAuditInput,
  normalizePluginConfigInput,
  prefixUpperBound,
  resolvePageLimit,
  toStoredJson,
} from './storage-support.js';

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('compareCodePoints', () => {
  it('agrees with UTF-8 byte order (what SQLite and PostgreSQL "C" sort by)', () => {
    const alphabet = [
      'a',
      'b',
      'Z',
      '0',
      ' ',
      'é',
      '\u07ff',
      '\u0800',
      '\uD7FF',
      '\uE000',
      '\uFFFF',
      '😀',
      '\u{10000}',
      '\u{10FFFF}',
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const word = () =>
      Array.from(
        { length: Math.floor(random() * 4) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    for (let i = 0; i < 2_000; i++) {
      const a = word();
      const b = word();
      expect(Math.sign(compareCodePoints(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        Math.sign(utf8Order(a, b)),
      );
    }
  });
});

describe('prefixUpperBound', () => {
  it('is the next string after every string with the prefix', () => {
    expect(prefixUpperBound('job/')).toBe('job0');
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\uD7FF')).toBe('\uE000');
    expect(prefixUpperBound('\u{10FFFF}\u{10FFFF}')).toBeUndefined();
    expect(prefixUpperBound('')).toBeUndefined();
  });
});

describe('toStoredJson', () => {
  it('lists every offending path', () => {
    const error = (() => {
      try {
        toStoredJson(
          { a: 1n, b: [Number.NaN, undefined], c: { d: Symbol('x') }, e: new Set() },
          'value of key "k"',
        );
      } catch (caught) {
        return caught as ValidationError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('value of key "k" is not JSON');
    expect(error.issues.map((i) => i.path)).toEqual(['a', 'b[0]', 'b[1]', 'c.d', 'e']);
  });

  it('returns the JSON text', () => {
    expect(toStoredJson({ a: [1, 'x', null], b: undefined }, 'v')).toBe('{"a":[1,"x",null]}');
  });
});

describe('resolvePageLimit', () => {
  it('defaults to 100, cuts at 1,000 and rejects the rest', () => {
    expect(resolvePageLimit(undefined)).toBe(100);
    expect(resolvePageLimit(1)).toBe(1);
    expect(resolvePageLimit(10_000)).toBe(1_000);
    expect(() => resolvePageLimit(0)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => resolvePageLimit(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('input normalizers', () => {
  it('reports every problem of a plugin configuration with its path', () => {
    const input = {
      id: '',
      pluginId: 'p',
      pluginVersion: '1',
      name: 'n',
      modules: ['cte', 3],
      enabled: 'yes',
      config: { nested: [() => 1] },
    } as unknown as Parameters<typeof normalizePluginConfigInput>[0];
    try {
      normalizePluginConfigInput(input);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
        'id',
        'modules',
        'enabled',
        'config.nested[0]',
      ]);
    }
  });

  it('fills in the audit time and leaves out absent details', () => {
    expect(normalizeAuditInput({ actor: 'a', action: 'x-y', target: 't' }, 5)).toEqual({
      at: 5,
      actor: 'a',
      action: 'x-y',
      target: 't',
    });
  });
});

describe('createStorageGate', () => {
  it('runs operations one at a time in call order', async () => {
    const gate = createStorageGate('test');
    const events: string[] = [];
    const op = (name: string) => async () => {
      events.push(`${name}:start`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`${name}:end`);
    };
    await Promise.all([gate.run(op('a')), gate.transaction(op('b')), gate.run(op('c'))]);
    expect(events).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  });

  it('joins the running transaction with runOrJoin and refuses run inside it', async () => {
    const gate = createStorageGate('test');
    await gate.transaction(async () => {
      expect(gate.inTransaction()).toBe(true);
      expect(await gate.runOrJoin(() => 'joined')).toBe('joined');
      await expect(gate.run(() => 'blocked')).rejects.toMatchObject({ code: 'INTERNAL' });
    });
    expect(gate.inTransaction()).toBe(false);
    expect(await gate.runOrJoin(() => 'alone')).toBe('alone');
  });

  it('closes once, after queued work, and then refuses calls', async () => {
    const gate = createStorageGate('test');
    let finalized = 0;
    const queued = gate.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return finalized;
    });
    const closing = gate.close(() => {
      finalized++;
    });
    expect(gate.close()).toBe(closing);
    expect(await queued).toBe(0);
    await closing;
    expect(finalized).toBe(1);
    const error = await gate.run(() => 1).catch((e: unknown) => e);
    expect(CeError.isInstance(error) && error.code).toBe('STORAGE_FAILED');
  });
});
