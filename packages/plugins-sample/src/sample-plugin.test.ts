import { createPluginHarness, type MockServer } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { samplePlugin } from './sample-plugin.js';
import { startSampleServer } from './sample-server.js';

const token = 'sample-test-token-42';

describe('sample plugin against the Sample Intel API', () => {
  let server: MockServer;
  beforeEach(async () => {
    server = await startSampleServer({ token, tenant: 'acme', requestsPerSecond: 2 });
  });
  afterEach(() => server.close());

  it('checks the connection with a bearer token and remembers the checks', async () => {
    const harness = createPluginHarness(samplePlugin, { config: { baseUrl: server.url, apiToken: token } });
    expect(await harness.check()).toEqual({ ok: true, message: 'connected to tenant acme (API 1.0)' });
    expect(await harness.context.state.get('checks')).toBe(1);
    expect(server.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['GET', '/api/v1/status', `Bearer ${token}`],
    ]);
    expect(server.requests[0]?.headers['user-agent']).toMatch(/plugin\/sample@0\.1\.0/);
    await harness.close();
  });

  it('reports a wrong token as HTTP_AUTH_FAILED without leaking it', async () => {
    const harness = createPluginHarness(samplePlugin, {
      config: { baseUrl: server.url, apiToken: 'wrong-token-987654' },
    });
    const error = await harness.check().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 401 });
    expect(JSON.stringify(error)).not.toContain('wrong-token-987654');
    expect(JSON.stringify(harness.logs)).not.toContain('wrong-token-987654');
    await harness.close();
  });

  it('waits out the rate limit the server announces and still succeeds', async () => {
    const harness = createPluginHarness(samplePlugin, {
      config: { baseUrl: server.url, apiToken: token, requestsPerSecond: 100 },
    });
    const results = await Promise.all([harness.check(), harness.check(), harness.check()]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.requests.length).toBeGreaterThan(3);
    await harness.close();
  });

  it('validates its configuration with field paths', () => {
    const result = samplePlugin.validate({ baseUrl: 'ftp://x', requestsPerSecond: 0 });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual([
      'baseUrl',
      'apiToken',
      'requestsPerSecond',
    ]);
  });
});
