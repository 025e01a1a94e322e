import { describe, expect, it } from 'vitest';
import {
  caseOperators,
  type Rule,
  type RuleCondition,
  type RuleOperator,
  type RuleScalar,
  ruleOperators,
} from './rule-ast.js';
import { checkRule } from './rule-check.js';
import { parseRule } from './rule-parser.js';
import { printRule } from './rule-printer.js';

describe('printRule', () => {
  it('prints canonical text', () => {
    expect(
      printRule(parseRule('type IN ("url","domain") AND severity gte \'high\' AND NOT tags contains "x"')),
    ).toBe('type in ("url", "domain") and severity >= "high" and not tags contains "x"');
    expect(printRule(parseRule('a == 1 or b = 2 and c = 3'))).toBe('a = 1 or (b = 2 and c = 3)');
    expect(printRule(parseRule('not (a exists or b exists)'))).toBe('not (a exists or b exists)');
    expect(printRule(parseRule('src in cidr ["10.0.0.0/8"]'))).toBe('src inCidr ("10.0.0.0/8")');
    expect(printRule(parseRule('a notIn (1)'))).toBe('a not in (1)');
    expect(printRule({ field: 'a', op: 'matches', value: 'x/y', ignoreCase: true })).toBe(
      'a matches "x/y" ignoreCase',
    );
    expect(printRule({ field: 'a', op: 'matches', value: 'x\\.y', ignoreCase: true })).toBe(
      'a matches /x\\.y/i',
    );
    expect(printRule({ field: 'not', op: 'exists' })).toBe('`not` exists');
    expect(printRule({ field: 'a b', op: 'exists' })).toBe('`a b` exists');
    expect(printRule({ and: [{ always: true }] })).toBe('and(always)');
    expect(printRule({ or: [] })).toBe('or()');
    expect(printRule({ field: 't', op: 'olderThan', value: '90d' })).toBe('t olderThan 90d');
    expect(printRule({ field: 'n', op: 'eq', value: -0 })).toBe('n = -0');
  });

  it.each([
    'type in ("url", "domain") and severity >= "high" and not tags contains "allowlisted"',
    '(a = 1 or b != 2) and c exists',
    'src_ip inCidr ("10.0.0.0/8", "fd00::/8")',
    'value matches /evil\\.(com|net)/i',
    'lastSeen olderThan 30d',
    'not (x exists)',
    '(a exists and b exists) and c exists',
    '(a exists or b exists) or c exists',
    'not not a = null',
    'and(or(), and())',
  ])('round-trips %s', (text) => {
    const ast = parseRule(text);
    expect(parseRule(printRule(ast))).toEqual(ast);
  });
});

/** Mulberry32: a tiny seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generator(random: () => number) {
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)] as T;
  const fields = [
    'a',
    'b.c',
    'items.0.name',
    'x-y',
    '$id',
    'and',
    'Not',
    'ignoreCase',
    'weird field',
    'tick`s',
    'back\\slash',
    'é',
  ];
  const chars = ['a', 'Z', ' ', '"', "'", '\\', '/', '\n', '\t', '\u0001', 'é', '😀', '\u2028', '`'];
  const string = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(chars)).join('');
  const number = (): number =>
    pick([
      0,
      -0,
      1,
      -1,
      3.25,
      1e21,
      5e-7,
      -123456.789,
      Number.MAX_SAFE_INTEGER,
      Math.round(random() * 1e6) / 100,
    ]);
  const scalar = (): RuleScalar =>
    pick<() => RuleScalar>([string, number, () => true, () => false, () => null])();
  const patterns = ['^a+$', 'evil\\.(com|net)', 'a/b', '[/]', '\\d{1,3}', '\\\\', '(?:x|y)z', 'é+'];

  const condition = (): RuleCondition => {
    const op: RuleOperator = pick(ruleOperators);
    const cond: RuleCondition = { field: pick(fields), op };
    switch (op) {
      case 'eq':
      case 'ne':
        cond.value = scalar();
        break;
      case 'in':
      case 'notIn':
        cond.value = Array.from({ length: Math.floor(random() * 4) }, scalar);
        break;
      case 'contains':
        cond.value = pick<() => RuleScalar>([string, number, () => true])();
        break;
      case 'startsWith':
      case 'endsWith':
        cond.value = string();
        break;
      case 'matches':
        cond.value = pick(patterns);
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        cond.value = pick<() => RuleScalar>([
          number,
          () => pick(['high', 'unknown', 'Critical']),
          () => '2025-06-01T12:00:00Z',
        ])();
        break;
      case 'exists':
        if (random() < 0.6) cond.value = random() < 0.5;
        break;
      case 'inCidr':
        cond.value = random() < 0.5 ? '10.0.0.0/8' : ['192.168.0.0/16', '2001:db8::/32'];
        break;
      case 'olderThan':
      case 'newerThan':
        cond.value = pick<string | number>(['90d', '12h', '1.5s', '500ms', 3_600_000]);
        break;
    }
    if (caseOperators.has(op) && random() < 0.3) cond.ignoreCase = true;
    return cond;
  };

  const rule = (depth: number): Rule => {
    const roll = random();
    if (depth > 4 || roll < 0.45) return condition();
    if (roll < 0.5) return { always: true };
    if (roll < 0.65) return { not: rule(depth + 1) };
    const items = Array.from({ length: Math.floor(random() * 4) }, () => rule(depth + 1));
    return roll < 0.83 ? { and: items } : { or: items };
  };
  return rule;
}

describe('printRule and parseRule round trip (seeded property test)', () => {
  it('parseRule(printRule(ast)) deep-equals ast for 1,500 random valid rules', () => {
    const random = prng(20_260_101);
    const rule = generator(random);
    for (let i = 0; i < 1_500; i++) {
      const ast = rule(1);
      expect(checkRule(ast), JSON.stringify(ast)).toEqual([]);
      const text = printRule(ast);
      expect(parseRule(text), text).toStrictEqual(ast);
      expect(printRule(parseRule(text))).toBe(text);
    }
  });
});
