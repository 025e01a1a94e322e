import { FakeClock, secretString } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from './define-plugin.js';
import { createMockServer, type MockServer } from './mock-server.js';
import { createPluginHarness } from './plugin-harness.js';

const token = 'harness-token-123456';

const plugin = definePlugin({
  id: 'counter',
  name: 'Counter',
  version: '2.0.0',
  description: 'counts checks',
  modules: ['cls'],
  configSchema: z.object({ baseUrl: z.url(), apiToken: secretString() }),
  http: (config) => ({ baseUrl: config.baseUrl, headers: { authorization: `Bearer ${config.apiToken}` } }),
  async check(context) {
    const { body } = await context.http.get('/ping', { schema: z.object({ pong: z.boolean() }) });
    const count = ((await context.state.get<number>('count')) ?? 0) + 1;
    await context.state.set('count', count);
    context.logger.info('pinged', { count, apiToken: context.config.apiToken, at: context.clock.now() });
    return { ok: body.pong, message: `check ${count}` };
  },
});

describe('plugin harness', () => {
  let server: MockServer;
  beforeEach(async () => {
    server = await createMockServer();
    server.requireBearer(token).route('GET', '/ping', () => ({ json: { pong: true } }));
  });
  afterEach(() => server.close());

  it('runs capabilities with state, a fake clock and captured, redacted logs', async () => {
    const clock = new FakeClock(Date.parse('2026-03-01T00:00:00Z'));
    const harness = createPluginHarness(plugin, { config: { baseUrl: server.url, apiToken: token }, clock });
    expect(await harness.check()).toEqual({ ok: true, message: 'check 1' });
    expect(await harness.check()).toEqual({ ok: true, message: 'check 2' });
    expect(await harness.context.state.keys()).toEqual(['count']);
    const pinged = harness.logs.filter((record) => record.message === 'pinged');
    expect(pinged.map((record) => record.fields)).toEqual([
      { plugin: 'counter', configId: 'test-config', count: 1, apiToken: '[REDACTED]', at: clock.now() },
      { plugin: 'counter', configId: 'test-config', count: 2, apiToken: '[REDACTED]', at: clock.now() },
    ]);
    expect(server.requests[0]?.headers['user-agent']).toContain('counter@2.0.0');
    await harness.close();
  });

  it('resumes from state shared between harnesses', async () => {
    const first = createPluginHarness(plugin, { config: { baseUrl: server.url, apiToken: token } });
    await first.check();
    const second = createPluginHarness(plugin, {
      config: { baseUrl: server.url, apiToken: token },
      keyValue: first.keyValue,
    });
    expect(await second.check()).toEqual({ ok: true, message: 'check 2' });
    await Promise.all([first.close(), second.close()]);
  });

  it('refuses an invalid configuration with field paths', () => {
    expect(() => createPluginHarness(plugin, { config: { baseUrl: 'x' } })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: [expect.objectContaining({ path: 'baseUrl' }), expect.objectContaining({ path: 'apiToken' })],
      }),
    );
  });
});
