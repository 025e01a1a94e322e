import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/clock.js';
import { compileRule } from './compile-rule.js';
import type { Rule } from './rule-ast.js';
import { RuleError } from './rule-error.js';

const test = (rule: Rule | string, record: unknown, clock?: FakeClock): boolean =>
  compileRule(rule, clock ? { clock } : {})(record);

describe('compileRule operators', () => {
  const record = {
    type: 'url',
    name: 'Evil.COM',
    score: 70,
    flag: true,
    nothing: null,
    severity: 'high',
    tags: ['phishing', 'APT-28'],
    seen: '2025-06-01T12:00:00Z',
    ip: '10.1.2.3',
  };

  it.each<[string, boolean]>([
    ['type = "url"', true],
    ['type = "domain"', false],
    ['score = 70', true],
    ['score = "70"', false],
    ['flag = true', true],
    ['nothing = null', true],
    ['missing = null', true],
    ['type = null', false],
    ['name = "evil.com"', false],
    ['name = "evil.com" ignoreCase', true],
    ['type != "url"', false],
    ['type != "domain"', true],
    ['missing != "x"', true],
    ['type in ("url", "domain")', true],
    ['type in ("ip")', false],
    ['type in ()', false],
    ['score in (1, 70)', true],
    ['missing in ("a", null)', true],
    ['name in ("EVIL.com") ignoreCase', true],
    ['type not in ("ip", "hash")', true],
    ['type notIn ("url")', false],
    ['name contains "il.C"', true],
    ['name contains "il.c"', false],
    ['name contains "IL.c" ignoreCase', true],
    ['tags contains "phishing"', true],
    ['tags contains "phish"', false],
    ['tags contains "apt-28" ignoreCase', true],
    ['score contains "7"', false],
    ['name startsWith "Evil"', true],
    ['name startsWith "evil"', false],
    ['name startsWith "evil" ignoreCase', true],
    ['name endsWith ".COM"', true],
    ['name endsWith ".net"', false],
    ['name matches /^evil\\.(com|net)$/i', true],
    ['name matches /^evil\\.(com|net)$/', false],
    ['score matches /70/', false],
    ['score > 69', true],
    ['score > 70', false],
    ['score >= 70', true],
    ['score < 70', false],
    ['score <= 70', true],
    ['type > 1', false],
    ['severity >= "high"', true],
    ['severity > "high"', false],
    ['severity < "critical"', true],
    ['severity <= "Medium"', false],
    ['type >= "unknown"', false],
    ['seen > "2025-01-01"', true],
    ['seen < "2025-06-01T12:00:00.001Z"', true],
    ['seen >= "2025-06-01T14:00:00+02:00"', true],
    ['seen > "2025-06-01T14:00:00+02:00"', false],
    ['type exists', true],
    ['nothing exists', false],
    ['missing exists', false],
    ['missing exists false', true],
    ['type exists false', false],
    ['ip inCidr "10.0.0.0/8"', true],
    ['ip inCidr ("192.168.0.0/16", "172.16.0.0/12")', false],
    ['always', true],
    ['not always', false],
    ['and()', true],
    ['or()', false],
  ])('%s → %s', (rule, expected) => {
    expect(test(rule, record)).toBe(expected);
  });

  it('compares epoch-millisecond fields with ISO date values', () => {
    expect(test('at >= "2025-01-01"', { at: Date.parse('2025-01-01T00:00:00Z') })).toBe(true);
    expect(test('at >= "2025-01-01"', { at: Date.parse('2024-12-31T23:59:59Z') })).toBe(false);
    expect(test('at >= "2025-01-01"', { at: new Date('2025-03-01T00:00:00Z') })).toBe(true);
    expect(test('at >= "2025-01-01"', { at: 'yesterday' })).toBe(false);
  });

  it('orders every severity by rank', () => {
    const levels = ['unknown', 'informational', 'low', 'medium', 'high', 'critical'];
    levels.forEach((level, rank) => {
      const atLeastMedium = levels.map((other) => test(`s >= "${level}"`, { s: other }));
      expect(atLeastMedium).toEqual(levels.map((_, otherRank) => otherRank >= rank));
    });
  });
});

describe('compileRule paths and arrays', () => {
  const record = {
    a: { b: { c: 5 } },
    items: [{ name: 'x', n: 1 }, { name: 'y', n: 7 }, { other: true }],
    matrix: [[{ v: 1 }], [{ v: 2 }]],
    tags: ['one', 'two'],
    empty: [],
  };

  it('follows dot paths and numeric indexes', () => {
    expect(test('a.b.c = 5', record)).toBe(true);
    expect(test('a.b.c.d exists', record)).toBe(false);
    expect(test('items.1.name = "y"', record)).toBe(true);
    expect(test('items.0.name = "y"', record)).toBe(false);
    expect(test('items.9.name exists', record)).toBe(false);
    expect(test('tags.0 = "one"', record)).toBe(true);
  });

  it('holds when any element on the path satisfies the condition', () => {
    expect(test('items.name = "y"', record)).toBe(true);
    expect(test('items.name = "z"', record)).toBe(false);
    expect(test('items.n > 5', record)).toBe(true);
    expect(test('matrix.v = 2', record)).toBe(true);
    expect(test('items.other exists', record)).toBe(true);
  });

  it('tests a trailing array element by element, except for contains and exists', () => {
    expect(test('tags = "two"', record)).toBe(true);
    expect(test('tags startsWith "tw"', record)).toBe(true);
    expect(test('tags contains "tw"', record)).toBe(false);
    expect(test('tags contains "two"', record)).toBe(true);
    expect(test('empty exists', record)).toBe(true);
    expect(test('empty = "x"', record)).toBe(false);
  });

  it('negates ne and notIn over all elements (no element may match)', () => {
    expect(test('items.name != "y"', record)).toBe(false);
    expect(test('items.name != "z"', record)).toBe(true);
    expect(test('tags not in ("one")', record)).toBe(false);
    expect(test('empty != "x"', record)).toBe(true);
    expect(test('items.name exists false', record)).toBe(false);
  });

  it('never reads inherited properties and survives odd records', () => {
    expect(test('constructor exists', {})).toBe(false);
    expect(test('a.toString exists', { a: 'text' })).toBe(false);
    for (const odd of [null, undefined, 42, 'text', [], [1, 2]]) expect(test('a = 1', odd)).toBe(false);
  });
});

describe('compileRule time conditions', () => {
  const day = 86_400_000;

  it('olderThan and newerThan read the injected clock at each evaluation', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const older = compileRule('lastSeen olderThan 30d', { clock });
    const newer = compileRule('lastSeen newerThan 12h', { clock });
    const record = { lastSeen: clock.now() - 10 * day };
    expect(older(record)).toBe(false);
    expect(newer(record)).toBe(false);
    await clock.advance(21 * day);
    expect(older(record)).toBe(true);
    expect(older({ lastSeen: new Date(clock.now() - 31 * day).toISOString() })).toBe(true);
    expect(newer({ lastSeen: clock.now() - 11 * 3_600_000 })).toBe(true);
    expect(newer({ lastSeen: '2099-01-01T00:00:00Z' })).toBe(true);
  });

  it('is strict at the boundary and false for missing or unreadable timestamps', () => {
    const clock = new FakeClock(10 * day);
    expect(test('t olderThan 1d', { t: 9 * day }, clock)).toBe(false);
    expect(test('t olderThan 1d', { t: 9 * day - 1 }, clock)).toBe(true);
    expect(test('t newerThan 1d', { t: 9 * day }, clock)).toBe(false);
    expect(test('t olderThan 1d', {}, clock)).toBe(false);
    expect(test('t olderThan 1d', { t: 'last week' }, clock)).toBe(false);
    expect(test({ field: 't', op: 'olderThan', value: day }, { t: 0 }, clock)).toBe(true);
  });
});

describe('compileRule regex input bound', () => {
  it('matches only within the first 64 KiB of a value', () => {
    const long = `${'a'.repeat(70_000)}needle`;
    expect(test('v matches /needle/', { v: long })).toBe(false);
    expect(test('v matches /needle/', { v: `needle${long}` })).toBe(true);
  });
});

describe('compileRule validation', () => {
  it('throws a RuleError with every problem of an invalid AST', () => {
    const bad = {
      and: [
        { field: 'a', op: 'gt', value: [1] },
        { field: '', op: 'nope' },
      ],
    } as unknown as Rule;
    try {
      compileRule(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RuleError);
      expect((error as RuleError).code).toBe('RULE_INVALID');
      expect((error as RuleError).issues.map((i) => i.path)).toEqual([
        'and[0].value',
        'and[1].field',
        'and[1].op',
      ]);
    }
  });
});
