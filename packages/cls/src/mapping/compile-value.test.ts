import { describe, expect, it } from 'vitest';
import { compileFieldPath, compileValueSource } from './compile-value.js';

describe('compileFieldPath', () => {
  it('reads top-level, nested and array paths, and keys that contain dots', () => {
    const event = { a: 1, b: { c: { d: 'deep' }, list: ['x', 'y'] }, 'e.f': 'dotted', e: { f: 'nested' } };
    expect(compileFieldPath('a')(event)).toBe(1);
    expect(compileFieldPath('b.c')(event)).toEqual({ d: 'deep' });
    expect(compileFieldPath('b.c.d')(event)).toBe('deep');
    expect(compileFieldPath('b.list.1')(event)).toBe('y');
    expect(compileFieldPath('e.f')(event)).toBe('dotted');
    expect(compileFieldPath('a.b.c.d')(event)).toBeUndefined();
    expect(compileFieldPath('x.y')(event)).toBeUndefined();
  });
});

describe('compileValueSource', () => {
  it('stringifies values of every JSON type', () => {
    const get = (value: unknown) => compileValueSource({ field: 'v' })({ v: value });
    expect(get('s')).toBe('s');
    expect(get(12.5)).toBe('12.5');
    expect(get(false)).toBe('false');
    expect(get(['a', 1, { b: 2 }, null])).toBe('a,1,{"b":2}');
    expect(get({ k: 'v' })).toBe('{"k":"v"}');
    expect(get('')).toBeUndefined();
    expect(get(null)).toBeUndefined();
    expect(get(Number.NaN)).toBeUndefined();
  });

  it('uses the default when the value is missing or does not convert', () => {
    const get = compileValueSource({ field: 'ip', transform: 'ip', default: '0.0.0.0' });
    expect(get({ ip: '10.0.0.1' })).toBe('10.0.0.1');
    expect(get({ ip: 'not an ip' })).toBe('0.0.0.0');
    expect(get({})).toBe('0.0.0.0');
  });

  it('fills templates with fields and the tenant variable, which wins over a field', () => {
    const get = compileValueSource({ template: '{{tenant}}/{{app}} {{ activity }}' }, { tenant: 'acme' });
    expect(get({ app: 'Box', activity: 'Upload', tenant: 'ignored' })).toBe('acme/Box Upload');
    expect(get({ app: 'Box' })).toBe('acme/Box');
    expect(get({})).toBeUndefined();
    expect(compileValueSource({ template: 'x {{tenant}}' }, { tenant: 'acme' })({})).toBe('x acme');
    expect(compileValueSource({ template: '{{host.name}}!', default: 'none' })({ host: { name: 'h' } })).toBe(
      'h!',
    );
    expect(compileValueSource({ template: '{{host.name}}!', default: 'none' })({})).toBe('none');
  });

  it('applies transforms to constants and templates too', () => {
    expect(compileValueSource({ constant: '42.9', transform: 'integer' })({})).toBe('42');
    expect(compileValueSource({ template: '{{a}}{{b}}', transform: 'integer' })({ a: 1, b: 2 })).toBe('12');
  });
});
