import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configJsonSchema, findSecretPaths, validateConfig } from './config-schema.js';
import { type AnyPluginDefinition, pluginSpecVersion, secretString } from './plugin-definition.js';
import { PluginRegistry } from './plugin-registry.js';

const configSchema = z.object({
  baseUrl: z.url(),
  apiToken: secretString('token'),
  oauth: z.object({ clientId: z.string(), clientSecret: secretString().optional() }).optional(),
  pageSize: z.number().int().max(1_000).default(100),
});

const definition: AnyPluginDefinition = {
  specVersion: pluginSpecVersion,
  id: 'acme',
  name: 'Acme',
  version: '1.2.3',
  description: 'Acme threat intel',
  modules: ['cte'],
  configSchema,
  capabilities: { check: true },
};

describe('configuration schemas', () => {
  it('finds secret fields through wrappers and nested objects', () => {
    expect(findSecretPaths(configSchema)).toEqual([['apiToken'], ['oauth', 'clientSecret']]);
  });

  it('finds the secret fields of every union member, through pipes and intersections, once each', () => {
    const auth = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('none') }),
      z.object({ kind: z.literal('basic'), username: z.string(), password: secretString() }),
      z.object({ kind: z.literal('bearer'), token: secretString() }),
      z.object({ kind: z.literal('other'), password: secretString() }),
    ]);
    const schema = z.object({
      auth: auth.optional(),
      proxy: z.union([z.string(), z.object({ url: z.string(), password: secretString() })]),
      piped: z.object({ key: secretString() }).transform((value) => value),
      both: z.intersection(z.object({ a: secretString() }), z.object({ b: secretString() })),
    });
    expect(findSecretPaths(schema)).toEqual([
      ['auth', 'password'],
      ['auth', 'token'],
      ['proxy', 'password'],
      ['piped', 'key'],
      ['both', 'a'],
      ['both', 'b'],
    ]);
  });

  it('generates a JSON Schema with secret fields marked', () => {
    const schema = configJsonSchema(configSchema) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(schema.properties.apiToken).toMatchObject({
      type: 'string',
      secret: true,
      writeOnly: true,
      description: 'token',
    });
    expect(schema.properties.pageSize).toMatchObject({ type: 'integer', default: 100 });
    expect(schema.required).toEqual(['baseUrl', 'apiToken']);
  });

  it('validates without throwing and names each field', () => {
    expect(validateConfig(configSchema, { baseUrl: 'https://a.example', apiToken: 't' })).toEqual({
      ok: true,
      config: { baseUrl: 'https://a.example', apiToken: 't', pageSize: 100 },
    });
    const result = validateConfig(configSchema, { baseUrl: 'nope', pageSize: 5_000, oauth: {} });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => i.path).sort()).toEqual([
      'apiToken',
      'baseUrl',
      'oauth.clientId',
      'pageSize',
    ]);
    const throwing = z.string().refine(() => {
      throw new Error('author bug');
    });
    expect(validateConfig(throwing, 'x')).toEqual({
      ok: false,
      issues: [{ path: '', reason: 'schema check failed: author bug' }],
    });
  });
});

describe('PluginRegistry', () => {
  it('registers, lists and describes plugins', () => {
    const registry = new PluginRegistry([definition]);
    expect(registry.has('acme')).toBe(true);
    expect(registry.list().map((p) => p.id)).toEqual(['acme']);
    expect(registry.manifest('acme')).toMatchObject({
      id: 'acme',
      version: '1.2.3',
      modules: ['cte'],
      capabilities: { check: true },
      secretFields: ['apiToken', 'oauth.clientSecret'],
    });
  });

  it('rejects an incompatible contract version with a clear error', () => {
    const registry = new PluginRegistry();
    expect(() =>
      registry.register({ ...definition, specVersion: 2 } as unknown as AnyPluginDefinition),
    ).toThrow(
      expect.objectContaining({
        code: 'PLUGIN_INCOMPATIBLE',
        message: 'plugin "acme" targets plugin contract version 2, this host implements version 1',
      }),
    );
  });

  it('rejects bad metadata naming the fields, and duplicate ids', () => {
    const registry = new PluginRegistry([definition]);
    expect(() =>
      registry.register({
        ...definition,
        id: 'Bad Id',
        version: 'one',
        configSchema: {},
      } as unknown as AnyPluginDefinition),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: expect.arrayContaining([
          expect.objectContaining({ path: 'id' }),
          expect.objectContaining({ path: 'version' }),
          expect.objectContaining({ path: 'configSchema' }),
        ]),
      }),
    );
    expect(() => registry.register(definition)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('validates configurations per plugin and reports unknown plugins as an issue', () => {
    const registry = new PluginRegistry([definition]);
    expect(registry.validate('acme', { baseUrl: 'https://a.example', apiToken: 'x' }).ok).toBe(true);
    expect(registry.validate('nope', {})).toEqual({
      ok: false,
      issues: [{ path: 'pluginId', reason: 'no plugin with id "nope" is registered' }],
    });
    expect(() => registry.get('nope')).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
  });
});
