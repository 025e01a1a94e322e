import { PluginRegistry, secretString } from '@ce/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from './define-plugin.js';

const plugin = definePlugin({
  id: 'acme',
  name: 'Acme',
  version: '1.0.0',
  description: 'Acme',
  modules: ['cte'],
  configSchema: z.object({ baseUrl: z.url(), apiToken: secretString(), pageSize: z.number().default(100) }),
  http: (config) => {
    expectTypeOf(config.pageSize).toEqualTypeOf<number>();
    return { baseUrl: config.baseUrl };
  },
});

describe('definePlugin', () => {
  it('fills the contract version, freezes the definition and registers in a host registry', () => {
    expect(plugin.specVersion).toBe(1);
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(new PluginRegistry([plugin]).manifest('acme').secretFields).toEqual(['apiToken']);
  });

  it('validates settings with field-level messages and never throws', () => {
    expect(plugin.validate({ baseUrl: 'https://a.example', apiToken: 't' })).toEqual({
      ok: true,
      config: { baseUrl: 'https://a.example', apiToken: 't', pageSize: 100 },
    });
    const result = plugin.validate({ baseUrl: 42 });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['baseUrl', 'apiToken']);
    expect(plugin.validate(undefined).ok).toBe(false);
  });
});
