import { CeError, ConfigError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { defaultMappings } from './default-mappings.js';
import { loadMapping, mergeMappings, resolveMapping } from './load-mapping.js';
import type { MappingSet } from './mapping-schema.js';

function issuesOf(input: unknown): Array<{ path: string; reason: string }> {
  try {
    loadMapping(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected loadMapping to throw');
}

describe('loadMapping', () => {
  it('accepts a valid document, JSON text and the field shorthand', () => {
    const text = JSON.stringify({
      version: 1,
      events: { page: { cef: { extension: { suser: 'user', src: { field: 'srcip', transform: 'ip' } } } } },
    });
    expect(loadMapping(text).events?.page?.cef?.extension).toEqual({
      suser: { field: 'user' },
      src: { field: 'srcip', transform: 'ip' },
    });
  });

  it('names the path of every problem', () => {
    const issues = issuesOf({
      events: {
        page: {
          cef: {
            header: { vendor: { constant: 'x', field: 'y' }, bogus: { constant: 1 } },
            extension: {
              src: { field: 'srcip', transform: 'ipv4' },
              rt: { field: 'timestamp', format: 'iso' },
              'bad key': { field: 'x' },
              name: { template: 'x {{app' },
              empty: {},
              dots: { field: 'a..b' },
            },
          },
        },
        Page: {},
      },
      alerts: { dlp: { syslog: { structuredData: { 'bad id': { p: 'x' } } } } },
      extra: true,
    });
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'events.page.cef.header.vendor',
        'events.page.cef.header',
        'events.page.cef.extension.src.transform',
        'events.page.cef.extension.rt.format',
        'events.page.cef.extension["bad key"]',
        'events.page.cef.extension.name.template',
        'events.page.cef.extension.empty',
        'events.page.cef.extension.dots.field',
        'events.Page',
        'alerts.dlp.syslog.structuredData["bad id"]',
        '',
      ]),
    );
    const reason = (path: string) => issues.find((issue) => issue.path === path)?.reason;
    expect(reason('events.page.cef.header.vendor')).toMatch(/only one of "field", "constant" or "template"/);
    expect(reason('events.page.cef.extension.empty')).toMatch(/give one of/);
    expect(reason('events.page.cef.extension.name.template')).toMatch(/unclosed "\{\{"/);
    expect(reason('events.page.cef.extension.rt.format')).toMatch(/only to transform "timestamp"/);
  });

  it('reports text that is not JSON', () => {
    expect(issuesOf('{ nope')[0]?.reason).toMatch(/^not JSON/);
  });
});

describe('mergeMappings', () => {
  const base: MappingSet = {
    events: {
      page: {
        cef: {
          header: { vendor: { constant: 'Netskope' }, name: { field: 'app' } },
          extension: { a: { field: 'a' }, b: { field: 'b' }, c: { field: 'c' } },
        },
        syslog: {
          appName: { constant: 'ns' },
          structuredData: { 'x@1': { p: { field: 'p' }, q: { field: 'q' } } },
        },
      },
      network: { cef: { extension: { n: { field: 'n' } } } },
    },
  };

  it('overrides per type and subtype, keeps key order, appends new keys and removes nulls', () => {
    const merged = mergeMappings(
      base,
      loadMapping({
        events: {
          page: {
            cef: {
              header: { name: { constant: 'N' } },
              extension: { b: { constant: 'B' }, c: null, d: 'd' },
            },
            syslog: { msgId: { constant: 'm' }, structuredData: { 'x@1': { q: null }, 'y@1': { r: 'r' } } },
          },
        },
        alerts: { dlp: { cef: { extension: { z: 'z' } } } },
      }),
    );
    expect(merged.events?.page?.cef).toEqual({
      header: { vendor: { constant: 'Netskope' }, name: { constant: 'N' } },
      extension: { a: { field: 'a' }, b: { constant: 'B' }, d: { field: 'd' } },
    });
    expect(Object.keys(merged.events?.page?.cef?.extension ?? {})).toEqual(['a', 'b', 'd']);
    expect(merged.events?.page?.syslog).toEqual({
      appName: { constant: 'ns' },
      msgId: { constant: 'm' },
      structuredData: { 'x@1': { p: { field: 'p' } }, 'y@1': { r: { field: 'r' } } },
    });
    expect(merged.events?.network).toBe(base.events?.network);
    expect(merged.alerts?.dlp?.cef?.extension).toEqual({ z: { field: 'z' } });
    expect(base.events?.page?.cef?.extension).toHaveProperty('c');
  });

  it('replaces a whole subtype when asked', () => {
    const merged = mergeMappings(base, {
      events: { page: { replace: true, leef: { attributes: { x: { field: 'x' } } } } },
    });
    expect(merged.events?.page).toEqual({ leef: { attributes: { x: { field: 'x' } } } });
  });

  it('leaves the frozen defaults untouched', () => {
    const merged = mergeMappings(defaultMappings, {
      events: { page: { cef: { extension: { suser: null } } } },
    });
    expect(merged.events?.page?.cef?.extension).not.toHaveProperty('suser');
    expect(defaultMappings.events?.page?.cef?.extension).toHaveProperty('suser');
  });
});

describe('resolveMapping', () => {
  it('finds a subtype or throws NOT_FOUND', () => {
    expect(resolveMapping(defaultMappings, 'alerts', 'dlp').cef).toBeDefined();
    expect(() => resolveMapping(defaultMappings, 'alerts', 'nope')).toThrow(CeError);
    expect(() => resolveMapping(defaultMappings, 'events', 'constructor')).toThrow(/events\/constructor/);
  });
});
