import { describe, expect, it } from 'vitest';
import { fqlAnyOf, fqlString } from './crowdstrike-api.js';
import { FqlSyntaxError, matchesFql, parseFql } from './fql.js';

const record = {
  type: 'domain',
  value: "o'brien.example",
  tags: ['apt', 'phishing'],
  deleted: false,
  modified_on: '2026-01-01T10:00:00.123456Z',
  source: 'Cloud Exchange',
};

describe('FQL subset', () => {
  it('parses and, or, negation, comparisons and lists', () => {
    expect(parseFql("type:['md5','domain']+modified_on:>='2026-01-01T00:00:00Z',deleted:true")).toEqual([
      [
        { field: 'type', operator: '', values: ['md5', 'domain'] },
        { field: 'modified_on', operator: '>=', values: ['2026-01-01T00:00:00Z'] },
      ],
      [{ field: 'deleted', operator: '', values: ['true'] }],
    ]);
    expect(parseFql('')).toEqual([]);
  });

  it('matches the filters the plugin builds, with escaped quotes', () => {
    const filter = `${fqlAnyOf('value', ["o'brien.example", 'x.example'])}+deleted:false+source:!${fqlString('Other')}`;
    expect(fqlString("o'brien.example")).toBe("'o\\'brien.example'");
    expect(matchesFql(parseFql(filter), record)).toBe(true);
    expect(matchesFql(parseFql("source:!'cloud exchange'"), record)).toBe(false);
    expect(matchesFql(parseFql("modified_on:>'2026-01-01T10:00:00Z'"), record)).toBe(true);
    expect(matchesFql(parseFql("modified_on:<'2026-01-01T10:00:00Z'"), record)).toBe(false);
    expect(matchesFql(parseFql("tags:'phish*'"), record)).toBe(true);
    expect(matchesFql(parseFql('type:md5,tags:apt'), record)).toBe(true);
  });

  it('reads a space between terms as and (an unencoded +)', () => {
    expect(matchesFql(parseFql("type: ['domain'] deleted:false"), record)).toBe(true);
  });

  it('rejects malformed filters', () => {
    expect(() => parseFql("type:'md5")).toThrow(FqlSyntaxError);
    expect(() => parseFql('type')).toThrow(FqlSyntaxError);
    expect(() => parseFql("type:['a' 'b']")).toThrow(FqlSyntaxError);
  });
});
