import { describe, expect, it } from 'vitest';
import pageEvent from '../__fixtures__/page-event.json' with { type: 'json' };
import { compileJsonLineFormatter, toJsonLine } from './json-line.js';

describe('toJsonLine', () => {
  it('writes the whole record as one line', () => {
    expect(toJsonLine({ a: 1, b: 'x', c: [true, null], d: { e: 'f' } })).toBe(
      '{"a":1,"b":"x","c":[true,null],"d":{"e":"f"}}',
    );
  });

  it('selects a subset of fields by dot path, keeping nesting and 64-bit ids as strings', () => {
    expect(
      toJsonLine(pageEvent, {
        fields: ['_id', 'user', 'src_location.city', 'transaction_id', 'missing', 'src_location.none'],
      }),
    ).toBe(
      '{"_id":"f1e2d3c4b5a6978877665544","user":"alice@example.com","src_location":{"city":"Zurich"},"transaction_id":"7379289410245673216"}',
    );
  });

  it('never contains a raw line break, and writes lone surrogates as escapes', () => {
    const line = toJsonLine({ msg: 'a\nb\r\u2028c', bad: 'x\uD800y', ok: '😀' });
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toBe('{"msg":"a\\nb\\r\u2028c","bad":"x\\ud800y","ok":"😀"}');
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
  });

  it('writes bigints as strings', () => {
    expect(toJsonLine({ id: 2n ** 64n })).toBe('{"id":"18446744073709551616"}');
  });

  it('cuts the longest strings of a record over maxLineBytes', () => {
    const format = compileJsonLineFormatter({ maxLineBytes: 1024 });
    const line = format({ _id: 'keep', big: 'x'.repeat(1_000_000) });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024);
    const parsed = JSON.parse(line) as { _id: string; big: string };
    expect(parsed._id).toBe('keep');
    expect(parsed.big.endsWith('…')).toBe(true);
  });
});
