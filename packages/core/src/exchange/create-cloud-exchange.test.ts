import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMockServer, type MockServer } from '../../../plugin-kit/src/mock-server.js';
import { CeError } from '../errors/ce-error.js';
import { createMemoryLogger } from '../logging/logger.js';
import { type AnyPluginDefinition, pluginSpecVersion, secretString } from '../plugin/plugin-definition.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { FakeClock } from '../time/clock.js';
import { type CloudExchange, createCloudExchange } from './create-cloud-exchange.js';
import type { PluginCallFinishedEvent } from './exchange-events.js';
import type { ModuleFactory } from './module-contract.js';

const token = 'acme-token-1234567';

const acme: AnyPluginDefinition = {
  specVersion: pluginSpecVersion,
  id: 'acme',
  name: 'Acme',
  version: '1.0.0',
  description: 'test plugin',
  modules: ['cte', 'cto'],
  configSchema: z.object({ baseUrl: z.url(), apiToken: secretString(), label: z.string().default('x') }),
  capabilities: { check: true },
  http: (config: { baseUrl: string; apiToken: string }) => ({
    baseUrl: config.baseUrl,
    headers: { authorization: `Bearer ${config.apiToken}` },
    retry: { maxAttempts: 1 },
  }),
  async check(context) {
    const response = await context.http.get('/status', {
      schema: z.object({ tenant: z.string() }),
      signal: context.signal,
    });
    await context.state.set('last', response.body.tenant);
    context.logger.info('checked', { token: (context.config as { apiToken: string }).apiToken });
    return { ok: true, message: `tenant ${response.body.tenant}` };
  },
};

describe('createCloudExchange', () => {
  let server: MockServer;
  let exchange: CloudExchange;
  const logger = createMemoryLogger();
  const calls: PluginCallFinishedEvent[] = [];

  beforeEach(async () => {
    server = await createMockServer();
    server.requireBearer(token).route('GET', '/status', () => ({ json: { tenant: 'acme-co' } }));
    exchange = await createCloudExchange({
      storage: createMemoryStorage(),
      logger,
      plugins: [acme],
      secretKey: 'test key',
      checkIntervalMs: 0,
    });
    exchange.events.on('plugin-call-finished', (event) => calls.push(event));
    await exchange.start();
  });

  afterEach(async () => {
    await exchange.stop();
    await server.close();
    calls.length = 0;
    logger.records.length = 0;
  });

  it('adds a configuration, keeps the secret out of what it returns, and runs the check', async () => {
    const view = await exchange.configurations.add(
      { id: 'acme-prod', pluginId: 'acme', config: { baseUrl: server.url, apiToken: token } },
      { actor: 'alice' },
    );
    expect(view).toMatchObject({
      id: 'acme-prod',
      pluginId: 'acme',
      pluginVersion: '1.0.0',
      name: 'acme-prod',
      modules: ['cte', 'cto'],
      enabled: true,
      version: 1,
    });
    expect(view.config.apiToken).toEqual({
      secretRef: expect.stringMatching(/^secret:\/\/plugin-config\/acme-prod\/apiToken\//),
    });
    expect(JSON.stringify(await exchange.configurations.list())).not.toContain(token);
    expect(JSON.stringify(await exchange.configurations.exportAll())).not.toContain(token);

    expect(await exchange.check('acme-prod')).toEqual({ ok: true, message: 'tenant acme-co' });
    expect(server.requests[0]?.headers['user-agent']).toContain('acme@1.0.0');
    expect(calls).toEqual([
      expect.objectContaining({ configId: 'acme-prod', operation: 'check', outcome: 'succeeded' }),
    ]);
    expect(JSON.stringify(logger.records)).not.toContain(token);

    const audit = await exchange.storage.audit.list();
    expect(audit.map((entry) => [entry.actor, entry.action, entry.target])).toEqual([
      ['alice', 'plugin-config-added', 'plugin-config:acme-prod'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('rejects invalid configurations with field paths and stores nothing', async () => {
    await expect(
      exchange.configurations.add({ id: 'bad', pluginId: 'acme', config: { baseUrl: 'not a url' } }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: expect.arrayContaining([
        { path: 'config.baseUrl', reason: expect.any(String) },
        { path: 'config.apiToken', reason: expect.any(String) },
      ]),
    });
    expect(await exchange.configurations.validate({ id: 'x y', pluginId: 'nope' })).toEqual({
      ok: false,
      issues: [{ path: 'id', reason: expect.any(String) }],
    });
    expect(await exchange.configurations.validate({ id: 'x', pluginId: 'nope' })).toEqual({
      ok: false,
      issues: [{ path: 'pluginId', reason: 'no plugin with id "nope" is registered' }],
    });
    expect(
      await exchange.configurations.validate({ id: 'x', pluginId: 'acme', modules: ['cls'], config: {} }),
    ).toMatchObject({
      ok: false,
      issues: [{ path: 'modules', reason: 'plugin "acme" does not serve cls' }],
    });
    expect(await exchange.configurations.list()).toEqual([]);
    expect(await exchange.storage.keyValue.list('secrets')).toEqual({ items: [] });
  });

  it('refuses a duplicate id without touching the stored secret', async () => {
    await exchange.configurations.add({
      id: 'a',
      pluginId: 'acme',
      config: { baseUrl: server.url, apiToken: token },
    });
    await expect(
      exchange.configurations.add({
        id: 'a',
        pluginId: 'acme',
        config: { baseUrl: server.url, apiToken: 'other-token-1234' },
      }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'a plugin configuration with id "a" already exists',
    });
    expect((await exchange.storage.keyValue.list('secrets')).items).toHaveLength(1);
    expect(await exchange.check('a')).toMatchObject({ ok: true });
  });

  it('updates keeping the secret, replaces it when given, and enforces versions', async () => {
    await exchange.configurations.add({
      id: 'a',
      pluginId: 'acme',
      config: { baseUrl: server.url, apiToken: token },
    });
    const renamed = await exchange.configurations.update('a', {
      name: 'Acme prod',
      config: { baseUrl: server.url, apiToken: '[REDACTED]', label: 'y' },
    });
    expect(renamed).toMatchObject({ name: 'Acme prod', version: 2, config: { label: 'y' } });
    expect(await exchange.check('a')).toMatchObject({ ok: true });

    await exchange.configurations.update('a', {
      config: { baseUrl: server.url, apiToken: 'wrong-token-123456' },
    });
    expect((await exchange.storage.keyValue.list('secrets')).items).toHaveLength(1);
    await expect(exchange.check('a')).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    expect(calls.at(-1)).toMatchObject({ outcome: 'failed', error: { code: 'HTTP_AUTH_FAILED' } });

    await expect(
      exchange.configurations.update('a', { name: 'stale' }, { expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    const current = await exchange.configurations.get('a');
    const same = await exchange.configurations.update('a', {
      name: current.name,
      config: { ...current.config },
    });
    expect(same.version).toBe(current.version);
    expect(
      (await exchange.storage.audit.list()).filter((entry) => entry.action === 'plugin-config-updated'),
    ).toHaveLength(2);
  });

  it('resolves env references, disables, enables and removes with its secrets', async () => {
    process.env.CE_TEST_ACME_TOKEN = token;
    try {
      const view = await exchange.configurations.add({
        id: 'env',
        pluginId: 'acme',
        config: { baseUrl: server.url, apiToken: { secretRef: 'env:CE_TEST_ACME_TOKEN' } },
      });
      expect(view.config.apiToken).toEqual({ secretRef: 'env:CE_TEST_ACME_TOKEN' });
      expect(await exchange.check('env')).toMatchObject({ ok: true });
      expect((await exchange.configurations.disable('env')).enabled).toBe(false);
      expect((await exchange.configurations.enable('env')).enabled).toBe(true);
      await expect(
        exchange.configurations.add({
          id: 'env2',
          pluginId: 'acme',
          config: { baseUrl: server.url, apiToken: { secretRef: 'env:CE_TEST_MISSING' } },
        }),
      ).rejects.toMatchObject({
        issues: [{ path: 'config.apiToken', reason: 'secret reference "env:..." does not resolve' }],
      });
    } finally {
      delete process.env.CE_TEST_ACME_TOKEN;
    }
    await exchange.configurations.add({
      id: 'stored',
      pluginId: 'acme',
      config: { baseUrl: server.url, apiToken: token },
    });
    await exchange.configurations.remove('stored', { actor: 'bob' });
    await expect(exchange.configurations.get('stored')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await exchange.storage.keyValue.list('secrets')).items).toHaveLength(0);
    const actions = (await exchange.storage.audit.list()).map((e) => e.action);
    expect(actions).toEqual([
      'plugin-config-added',
      'plugin-config-disabled',
      'plugin-config-enabled',
      'plugin-config-added',
      'plugin-config-removed',
    ]);
  });
});

describe('plugin containment', () => {
  const behaviours: AnyPluginDefinition = {
    ...acme,
    id: 'flaky',
    configSchema: z.object({ mode: z.enum(['throw', 'hang', 'garbage', 'ok']) }),
    http: undefined,
    check: undefined,
  };

  it('turns throws, hangs and garbage into typed failures, and other plugins keep working', async () => {
    const clock = new FakeClock();
    const exchange = await createCloudExchange({
      storage: createMemoryStorage({ clock }),
      clock,
      plugins: [behaviours],
      checkIntervalMs: 0,
    });
    await exchange.start();
    for (const mode of ['throw', 'hang', 'garbage', 'ok'] as const) {
      await exchange.configurations.add({ id: mode, pluginId: 'flaky', config: { mode } });
    }
    const call = (id: string) =>
      exchange.runtime.invoke(
        id,
        'test.run',
        async (context) => {
          const { mode } = context.config as { mode: string };
          if (mode === 'throw') throw new TypeError('plugin bug');
          if (mode === 'hang') return new Promise<never>(() => {});
          if (mode === 'garbage') return { count: 'many' };
          return { count: 3 };
        },
        { timeoutMs: 1_000, output: z.object({ count: z.number() }) },
      );

    await expect(call('throw')).rejects.toMatchObject({
      code: 'PLUGIN_FAILED',
      message: 'flaky test.run failed: plugin bug',
    });
    await expect(call('garbage')).rejects.toMatchObject({
      code: 'PLUGIN_FAILED',
      message: expect.stringContaining('count'),
    });
    const hung = call('hang');
    const settled = hung.catch((error: unknown) => error);
    await clock.advance(1_000);
    expect(await settled).toMatchObject({ code: 'TIMEOUT' });
    expect(await call('ok')).toEqual({ count: 3 });
    await expect(exchange.runtime.invoke('missing', 'x', async () => 1)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await exchange.stop();
  });

  it('aborts a running call when the exchange stops', async () => {
    const exchange = await createCloudExchange({
      storage: createMemoryStorage(),
      plugins: [behaviours],
      checkIntervalMs: 0,
    });
    await exchange.start();
    await exchange.configurations.add({ id: 'hang', pluginId: 'flaky', config: { mode: 'hang' } });
    let signal: AbortSignal | undefined;
    const running = exchange.runtime
      .invoke('hang', 'test.run', (context) => {
        signal = context.signal;
        return new Promise<never>(() => {});
      })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    await exchange.stop({ timeoutMs: 10 });
    expect(signal?.aborted).toBe(true);
    expect(CeError.isInstance(await running) && (await running)).toMatchObject({ code: 'ABORTED' });
  });
});

describe('scheduled connection checks and modules', () => {
  it('schedules checks for enabled configurations, records failures and starts modules', async () => {
    const server = await createMockServer();
    server.requireBearer(token).route('GET', '/status', () => ({ json: { tenant: 't' } }));
    const lifecycle: string[] = [];
    const recorder: ModuleFactory<'recorder', { seen: () => string[] }> = {
      name: 'recorder',
      create: (host) => ({
        name: 'recorder',
        api: { seen: () => lifecycle },
        start: async () => {
          lifecycle.push(`start:${host.storage.kind}`);
        },
        stop: async () => {
          lifecycle.push('stop');
        },
        onConfigurationChanged: (change) => {
          lifecycle.push(`${change.kind}:${change.configId}`);
        },
      }),
    };
    const exchange = await createCloudExchange({
      storage: createMemoryStorage(),
      plugins: [acme],
      modules: [recorder],
      checkIntervalMs: 60_000,
    });
    await exchange.start();
    await exchange.configurations.add({
      id: 'good',
      pluginId: 'acme',
      config: { baseUrl: server.url, apiToken: token },
    });
    await exchange.configurations.add({
      id: 'bad',
      pluginId: 'acme',
      config: { baseUrl: server.url, apiToken: 'bad-token-1234567' },
    });
    const good = await exchange.scheduler.runNow('plugin-check:good');
    const bad = await exchange.scheduler.runNow('plugin-check:bad');
    expect(good.outcome).toBe('succeeded');
    expect(bad).toMatchObject({ outcome: 'failed', error: { code: 'HTTP_AUTH_FAILED' } });
    expect((await exchange.storage.keyValue.get('plugin-status', 'good'))?.value).toMatchObject({ ok: true });
    await exchange.configurations.disable('bad');
    expect(exchange.scheduler.status('plugin-check:bad')).toBeUndefined();
    expect(exchange.modules.recorder.seen()).toEqual([
      'start:memory',
      'added:good',
      'added:bad',
      'disabled:bad',
    ]);
    expect(await exchange.health()).toMatchObject({
      status: 'running',
      modules: ['recorder'],
      configurations: { total: 2, enabled: 1 },
    });
    await exchange.stop();
    expect(lifecycle.at(-1)).toBe('stop');
    expect((await exchange.health()).status).toBe('stopped');
    await expect(exchange.start()).rejects.toMatchObject({ code: 'CONFLICT' });
    await server.close();
  });
});
