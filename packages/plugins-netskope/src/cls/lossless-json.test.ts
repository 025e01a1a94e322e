import { describe, expect, it } from 'vitest';
import { parseJsonLossless, quoteUnsafeIntegers } from './lossless-json.js';

describe('parseJsonLossless', () => {
  it('keeps integers beyond 2^53 digit for digit, as strings', () => {
    const text =
      '{"transaction_id": 7379289410245673217, "app_session_id":18446744073709551615, "small": 42}';
    expect(String(JSON.parse(text).transaction_id)).not.toBe('7379289410245673217');
    expect(parseJsonLossless(text)).toEqual({
      transaction_id: '7379289410245673217',
      app_session_id: '18446744073709551615',
      small: 42,
    });
  });

  it('draws the line exactly at Number.MAX_SAFE_INTEGER, on both signs', () => {
    expect(
      parseJsonLossless('[9007199254740991, 9007199254740992, -9007199254740991, -9007199254740993]'),
    ).toEqual([9007199254740991, '9007199254740992', -9007199254740991, '-9007199254740993']);
    expect(parseJsonLossless('[1000000000000000, 9999999999999999, 10000000000000000000000]')).toEqual([
      1000000000000000,
      '9999999999999999',
      '10000000000000000000000',
    ]);
  });

  it('leaves floats and exponents as numbers, however many digits they have', () => {
    const text = '[12345678901234567.5, 1e300, 12345678901234567890e-3, -2.5E+10, 0]';
    expect(parseJsonLossless(text)).toEqual(JSON.parse(text));
    expect(quoteUnsafeIntegers(text)).toBe(text);
  });

  it('never touches digits inside strings, with escaped quotes and backslashes around them', () => {
    const text = String.raw`{"a":"12345678901234567890","b":"x\"12345678901234567890\"","c":"\\","d":12345678901234567890,"e":"\\\"9007199254740993"}`;
    expect(parseJsonLossless(text)).toEqual({
      a: '12345678901234567890',
      b: 'x"12345678901234567890"',
      c: '\\',
      d: '12345678901234567890',
      e: '\\"9007199254740993',
    });
  });

  it('is not fooled by value-like text inside strings (the fast path falls back to the full scan)', () => {
    const text = '{"a":"x:12345678901234567,y","b":[1,"[12345678901234567]"],"c":12345678901234567890}';
    expect(parseJsonLossless(text)).toEqual({
      a: 'x:12345678901234567,y',
      b: [1, '[12345678901234567]'],
      c: '12345678901234567890',
    });
    const keyed = '{"x\\"transaction_id": 5, "note": "\\"transaction_id\\": 6", "transaction_id": 7}';
    expect(parseJsonLossless(keyed, { stringKeys: new Set(['transaction_id']) })).toEqual({
      'x"transaction_id': 5,
      note: '"transaction_id": 6',
      transaction_id: '7',
    });
  });

  it('handles non-ASCII, newlines and separators in values around big integers', () => {
    const text = '{"user":"zoë@exämple.com","note":"a|b=c\\nd","id":9223372036854775807,"ü":-1}';
    expect(parseJsonLossless(text)).toEqual({
      user: 'zoë@exämple.com',
      note: 'a|b=c\nd',
      id: '9223372036854775807',
      ü: -1,
    });
  });

  it('turns integers under the given keys into strings whatever their size, elsewhere not', () => {
    const stringKeys = new Set(['request_id', 'transaction_id']);
    const text =
      '{"request_id" : 12, "transaction_id":-7, "port": 443, "list": [12], "nested": {"request_id": 1.5}}';
    expect(parseJsonLossless(text, { stringKeys })).toEqual({
      request_id: '12',
      transaction_id: '-7',
      port: 443,
      list: [12],
      nested: { request_id: 1.5 },
    });
  });

  it('returns the text unchanged when nothing needs quoting (no copy)', () => {
    const text = '{"a": [1, 2.5, "12345678901234567890"], "b": null}';
    expect(quoteUnsafeIntegers(text)).toBe(text);
  });

  it('throws SyntaxError on invalid JSON, as JSON.parse does', () => {
    expect(() => parseJsonLossless('{"result": [{"id": 12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a": "unterminated 12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a": -}')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('')).toThrow(SyntaxError);
  });

  it('agrees with JSON.parse on documents without unsafe integers', () => {
    const samples = [
      '{"result":[{"timestamp":1717243200,"ok":1,"x":[true,false,null],"y":{"z":"\\u00e9"}}],"wait_time":0}',
      '[-0, 0.1, -1.5e-7, "", "\\"", {}]',
      ' \n\t{ "a" : 1 } ',
    ];
    for (const sample of samples) {
      expect(parseJsonLossless(sample)).toEqual(JSON.parse(sample));
      expect(parseJsonLossless(sample, { stringKeys: new Set(['nothing']) })).toEqual(JSON.parse(sample));
    }
  });

  it('puts back the right digits when a key repeats, nests, or first holds a small value', () => {
    const text =
      '{"result":[{"id":5,"x":{"id":18446744073709551615}},{"id":9223372036854775807,"note":"\\"id\\":9223372036854775806"},{"id":-9223372036854775807}]}';
    expect(parseJsonLossless(text)).toEqual({
      result: [
        { id: 5, x: { id: '18446744073709551615' } },
        { id: '9223372036854775807', note: '"id":9223372036854775806' },
        { id: '-9223372036854775807' },
      ],
    });
  });

  it('falls back to the exact scan where the walk cannot be sure: arrays, index-like keys, rounded floats', () => {
    expect(parseJsonLossless('{"a":[18446744073709551615, 1]}')).toEqual({ a: ['18446744073709551615', 1] });
    expect(parseJsonLossless('{"b":1,"7":18446744073709551615}')).toEqual({
      b: 1,
      7: '18446744073709551615',
    });
    // A float stays the number JSON.parse makes of it, rounding and all.
    expect(parseJsonLossless('{"f":12345678901234567.5}')).toEqual(JSON.parse('{"f":12345678901234567.5}'));
  });

  it('agrees with the exact scanner on random documents full of traps', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ['id', 'request_id', 'n', 'x"y', 'note', '12', 'deep'];
    const bigs = ['18446744073709551615', '-9223372036854775808', '9007199254740993', '9007199254740991'];
    const value = (depth: number): string => {
      const roll = random();
      if (roll < 0.25) return pick(bigs);
      if (roll < 0.35) return pick(['1.0', '2e3', '-7', '0', '12345678901234567.5', '1e300']);
      if (roll < 0.6)
        return JSON.stringify(
          pick(['"id":18446744073709551614', 'plain', 'a\\', '\\"request_id\\": 9223372036854775806', 'zoë']),
        );
      if (roll < 0.8 && depth < 3)
        return `[${Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1)).join(',')}]`;
      if (depth < 3) return object(depth + 1);
      return 'null';
    };
    const object = (depth: number): string =>
      `{${Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${JSON.stringify(pick(keys))}:${value(depth)}`).join(',')}}`;
    const stringKeys = new Set(['request_id', 'id']);
    for (let round = 0; round < 2_000; round++) {
      const text = object(0);
      expect(parseJsonLossless(text), text).toEqual(JSON.parse(quoteUnsafeIntegers(text)));
      expect(parseJsonLossless(text, { stringKeys }), text).toEqual(
        JSON.parse(quoteUnsafeIntegers(text, { stringKeys })),
      );
    }
  });
});
