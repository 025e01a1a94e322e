import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/clock.js';
import type { Rule } from './rule-ast.js';
import { RuleEngine } from './rule-engine.js';
import { RuleError } from './rule-error.js';

describe('RuleEngine', () => {
  it('parses, prints, validates, tests and explains with its clock', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const engine = new RuleEngine({ clock });
    const ast = engine.parse('lastSeen olderThan 1d');
    expect(engine.print(ast)).toBe('lastSeen olderThan 1d');
    expect(engine.validate('lastSeen olderThan').ok).toBe(false);
    const record = { lastSeen: clock.now() };
    expect(engine.test(ast, record)).toBe(false);
    await clock.advance(86_400_001);
    expect(engine.test(ast, record)).toBe(true);
    expect(engine.explain(ast, record).result).toBe(true);
  });

  it('caches compiled rules by canonical text and by object', () => {
    const engine = new RuleEngine();
    const first = engine.compile('a == 1 AND b exists');
    expect(engine.compile('a = 1 and b exists')).toBe(first);
    const ast: Rule = {
      and: [
        { field: 'a', op: 'eq', value: 1 },
        { field: 'b', op: 'exists' },
      ],
    };
    expect(engine.compile(ast)).toBe(first);
    expect(engine.compile(ast)).toBe(first);
    expect(engine.cachedRules).toBe(1);
  });

  it('drops the least recently used rule when the cache is full', () => {
    const engine = new RuleEngine({ cacheSize: 2 });
    const a = engine.compile('a exists');
    engine.compile('b exists');
    expect(engine.compile('a exists')).toBe(a);
    engine.compile('c exists');
    expect(engine.cachedRules).toBe(2);
    expect(engine.compile('a exists')).toBe(a);
    expect(engine.compile('b exists')).not.toBe(engine.compile('c exists'));
  });

  it('throws RuleError for invalid rules and caches nothing', () => {
    const engine = new RuleEngine();
    expect(() => engine.compile('a >')).toThrow(RuleError);
    expect(() => engine.test({ field: 'a', op: 'bogus' } as unknown as Rule, {})).toThrow(/unknown operator/);
    expect(engine.cachedRules).toBe(0);
  });
});
