import { describe, expect, it } from 'vitest';
import { parseCsvRecord } from './csv.js';

describe('parseCsvRecord', () => {
  it('splits plain and quoted fields, with delimiters and doubled quotes inside quotes', () => {
    expect(parseCsvRecord('a,b,,d')).toEqual({ fields: ['a', 'b', '', 'd'] });
    expect(parseCsvRecord('"a,1","say ""hi""",c')).toEqual({ fields: ['a,1', 'say "hi"', 'c'] });
    expect(parseCsvRecord('x;"y;z"', ';')).toEqual({ fields: ['x', 'y;z'] });
  });

  it('skips blanks before an opening quote, as abuse.ch writes "a", "b"', () => {
    expect(parseCsvRecord('"2025-03-01", "1450001", "192.0.2.44:8443"')).toEqual({
      fields: ['2025-03-01', '1450001', '192.0.2.44:8443'],
    });
  });

  it('reports a quoted field left open as incomplete, and completes it with the next line', () => {
    expect(parseCsvRecord('a,"line one')).toEqual({ incomplete: true });
    expect(parseCsvRecord('a,"line one\nline two",b')).toEqual({ fields: ['a', 'line one\nline two', 'b'] });
  });

  it('rejects text after a closing quote and keeps a stray quote in an unquoted field', () => {
    expect(parseCsvRecord('"a"x,b')).toEqual({ error: 'unexpected text after the closing quote of field 1' });
    expect(parseCsvRecord('5" disk,b')).toEqual({ fields: ['5" disk', 'b'] });
  });

  it('accepts an empty last field and a trailing carriage return after a quote', () => {
    expect(parseCsvRecord('a,')).toEqual({ fields: ['a', ''] });
    expect(parseCsvRecord('"a","b"\r')).toEqual({ fields: ['a', 'b'] });
  });
});
