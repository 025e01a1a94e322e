import { request as httpRequest } from 'node:http';
import { ConfigError, createMemoryLogger, type MemoryLogger, secretString } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { samplePlugin, startSampleServer } from '@ce/plugins-sample';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HostConfigFile, resolveHostConfig } from './config.js';
import { type ReferenceHost, startReferenceHost } from './reference-host.js';

const sampleToken = 'sample-token-0123456789';
let sample: Awaited<ReturnType<typeof startSampleServer>>;
const hosts: ReferenceHost[] = [];

beforeAll(async () => {
  sample = await startSampleServer({ token: sampleToken, tenant: 'acme', requestsPerSecond: 1_000 });
});
afterAll(async () => {
  await sample.close();
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

async function start(
  file: HostConfigFile = {},
  extra: { logger?: MemoryLogger; plugins?: Parameters<typeof startReferenceHost>[0]['plugins'] } = {},
): Promise<ReferenceHost> {
  const config = resolveHostConfig({ port: 0, storage: { kind: 'memory' }, ...file }, { env: {} });
  const host = await startReferenceHost({
    config,
    logger: extra.logger ?? createMemoryLogger({ level: 'warn' }),
    checkIntervalMs: 0,
    ...(extra.plugins ? { plugins: extra.plugins } : {}),
  });
  hosts.push(host);
  return host;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  json: any;
}

async function call(
  host: ReferenceHost,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function sampleConfiguration(id = 'intel'): Record<string, unknown> {
  return {
    id,
    pluginId: 'sample',
    name: 'Acme intel',
    config: { baseUrl: sample.url, apiToken: sampleToken },
  };
}

describe('REST API', () => {
  it('manages a configuration end to end without ever returning its secret', async () => {
    const host = await start();

    const plugins = await call(host, 'GET', '/api/v1/plugins');
    expect(plugins.status).toBe(200);
    expect(plugins.json.items.map((item: { id: string }) => item.id)).toEqual([
      'crowdstrike',
      'elasticsearch-sink',
      'feed',
      'file-sink',
      'misp',
      'netskope',
      'netskope-logs',
      's3-sink',
      'sample',
      'splunk-hec-sink',
      'syslog',
      'taxii',
      'webhook-sink',
    ]);
    expect(plugins.json.items).toContainEqual(
      expect.objectContaining({ id: 'sample', secretFields: ['apiToken'] }),
    );

    const created = await call(host, 'POST', '/api/v1/configurations', sampleConfiguration());
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/configurations/intel');
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.json).toMatchObject({ id: 'intel', pluginId: 'sample', enabled: true, version: 1 });
    expect(created.json.config.apiToken).toEqual({ secretRef: expect.stringMatching(/^secret:\/\//) });
    expect(created.text).not.toContain(sampleToken);

    const listed = await call(host, 'GET', '/api/v1/configurations');
    expect(listed.json.items).toHaveLength(1);
    expect(listed.text).not.toContain(sampleToken);

    // A merge patch: settings not named keep their value, the secret included.
    const patched = await call(
      host,
      'PATCH',
      '/api/v1/configurations/intel',
      { config: { requestsPerSecond: 5 } },
      { 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ version: 2, config: { baseUrl: sample.url, requestsPerSecond: 5 } });
    expect(patched.json.config.apiToken).toEqual(created.json.config.apiToken);

    for (const kept of ['[REDACTED]', null, created.json.config.apiToken]) {
      const same = await call(host, 'PATCH', '/api/v1/configurations/intel', { config: { apiToken: kept } });
      expect(same.status).toBe(200);
      expect(same.json.config.apiToken).toEqual(created.json.config.apiToken);
    }
    // Keeping the secret changes nothing, so nothing is written: the version stays.
    const afterKeeps = await call(host, 'GET', '/api/v1/configurations/intel');
    expect(afterKeeps.headers.get('etag')).toBe('"2"');
    await call(host, 'POST', '/api/v1/configurations/intel/check').then((answer) =>
      expect(answer.json.ok).toBe(true),
    );

    const stale = await call(
      host,
      'PATCH',
      '/api/v1/configurations/intel',
      { name: 'x' },
      { 'if-match': '"1"' },
    );
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('CONFLICT');

    const disabled = await call(host, 'POST', '/api/v1/configurations/intel/disable');
    expect(disabled.status).toBe(200);
    expect(disabled.json.enabled).toBe(false);

    const checked = await call(host, 'POST', '/api/v1/configurations/intel/check');
    expect(checked.status).toBe(200);
    expect(checked.json).toEqual({ ok: true, message: 'connected to tenant acme (API 1.0)' });

    const rotated = await call(host, 'PATCH', '/api/v1/configurations/intel', {
      config: { apiToken: 'not-the-right-token' },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.config.apiToken.secretRef).not.toBe(created.json.config.apiToken.secretRef);
    const failing = await call(host, 'POST', '/api/v1/configurations/intel/check');
    expect(failing.status).toBe(200);
    expect(failing.json).toMatchObject({ ok: false, code: 'HTTP_AUTH_FAILED' });
    expect(failing.text).not.toContain('not-the-right-token');

    const enabled = await call(host, 'POST', '/api/v1/configurations/intel/enable');
    expect(enabled.json.enabled).toBe(true);

    const removed = await call(host, 'DELETE', '/api/v1/configurations/intel');
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    const gone = await call(host, 'GET', '/api/v1/configurations/intel');
    expect(gone.status).toBe(404);
    expect(gone.json.error).toMatchObject({ code: 'NOT_FOUND', requestId: gone.headers.get('x-request-id') });

    const audit = await call(host, 'GET', '/api/v1/audit?target=plugin-config:intel');
    expect(audit.status).toBe(200);
    expect(audit.json.items.map((entry: { action: string }) => entry.action)).toEqual([
      'plugin-config-added',
      'plugin-config-updated',
      'plugin-config-disabled',
      'plugin-config-updated',
      'plugin-config-enabled',
      'plugin-config-removed',
    ]);
    expect(audit.json.items.every((entry: { actor: string }) => entry.actor === 'api')).toBe(true);
    expect(audit.text).not.toContain(sampleToken);
    const page = await call(host, 'GET', '/api/v1/audit?limit=2');
    expect(page.json.items).toHaveLength(2);
    expect(page.json.next).toBe(page.json.items[1].sequence);
  });

  it('reports invalid configurations with the path of each field', async () => {
    const host = await start();
    const invalid = {
      id: 'intel',
      pluginId: 'sample',
      config: { baseUrl: 'not a url', apiToken: sampleToken, requestsPerSecond: 0 },
    };
    const rejected = await call(host, 'POST', '/api/v1/configurations', invalid);
    expect(rejected.status).toBe(422);
    expect(rejected.json.error.code).toBe('CONFIG_INVALID');
    expect(rejected.json.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'config.baseUrl',
      'config.requestsPerSecond',
    ]);
    expect(rejected.text).not.toContain(sampleToken);

    const validated = await call(host, 'POST', '/api/v1/configurations/validate', invalid);
    expect(validated.status).toBe(200);
    expect(validated.json.ok).toBe(false);
    expect(validated.json.issues).toHaveLength(2);
    const valid = await call(host, 'POST', '/api/v1/configurations/validate', sampleConfiguration());
    expect(valid.json).toEqual({ ok: true });

    const unknownPlugin = await call(host, 'POST', '/api/v1/configurations', { id: 'x', pluginId: 'nope' });
    expect(unknownPlugin.status).toBe(422);
    expect(unknownPlugin.json.error.issues).toEqual([
      { path: 'pluginId', reason: 'no plugin with id "nope" is registered' },
    ]);

    await call(host, 'POST', '/api/v1/configurations', sampleConfiguration());
    const duplicate = await call(host, 'POST', '/api/v1/configurations', sampleConfiguration());
    expect(duplicate.status).toBe(409);

    const badPatch = await call(host, 'PATCH', '/api/v1/configurations/intel', {
      enabled: 'yes',
      pluginId: 'other',
    });
    expect(badPatch.status).toBe(400);
    expect(badPatch.json.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'enabled',
      'pluginId',
    ]);

    const badQuery = await call(host, 'GET', '/api/v1/audit?limit=0&colour=red');
    expect(badQuery.status).toBe(400);
    expect(badQuery.json.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'query.colour',
      'query.limit',
    ]);

    expect((await call(host, 'GET', '/api/v1/plugins/nope')).json.error.code).toBe('PLUGIN_NOT_FOUND');
  });

  it('rejects malformed requests: bad JSON, wrong media type, oversized bodies, unknown routes', async () => {
    const host = await start();
    const malformed = await call(host, 'POST', '/api/v1/configurations', '{"id": "x",\n "pluginId": }');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('VALIDATION_FAILED');
    expect(malformed.json.error.message).toBe(
      'the request body is not valid JSON at line 2, column 14 (offset 25): unexpected character "}", expected a value',
    );

    const array = await call(host, 'POST', '/api/v1/configurations', []);
    expect(array.status).toBe(400);

    const text = await call(host, 'POST', '/api/v1/configurations', 'id=x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const huge = JSON.stringify({ id: 'x', pluginId: 'sample', config: { pad: 'x'.repeat(1_048_576) } });
    const tooLarge = await call(host, 'POST', '/api/v1/configurations', huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await call(host, 'GET', '/api/v1/configurations')).json.items).toEqual([]);

    const missing = await call(host, 'GET', '/api/v2/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('ROUTE_NOT_FOUND');
    const wrongMethod = await call(host, 'PUT', '/api/v1/configurations');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('answers 413 to a chunked body over the limit, then serves the next request', async () => {
    const host = await start();
    const url = new URL(`${host.url}/api/v1/configurations`);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      for (let index = 0; index < 40; index++) request.write('x'.repeat(64 * 1024));
      request.end();
    });
    expect(status).toBe(413);
    expect((await call(host, 'GET', '/healthz')).status).toBe(200);
  });

  it('requires a bearer token when tokens are configured and audits its name', async () => {
    const token = 'ops-token-abcdefghijklmnop';
    const host = await start({
      api: {
        tokens: [
          { name: 'ops', token },
          { name: 'ci', token: 'ci-token-abcdefghijklmnop' },
        ],
      },
    });
    const anonymous = await call(host, 'GET', '/api/v1/configurations');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="cloud-exchange"');
    expect(anonymous.json.error.code).toBe('UNAUTHORIZED');
    const wrong = await call(host, 'GET', '/api/v1/configurations', undefined, {
      authorization: 'Bearer nope',
    });
    expect(wrong.status).toBe(401);

    expect((await call(host, 'GET', '/healthz')).status).toBe(200);
    expect((await call(host, 'GET', '/metrics')).status).toBe(200);

    const created = await call(host, 'POST', '/api/v1/configurations', sampleConfiguration(), {
      authorization: `Bearer ${token}`,
    });
    expect(created.status).toBe(201);
    const audit = await call(host, 'GET', '/api/v1/audit', undefined, {
      authorization: 'Bearer ci-token-abcdefghijklmnop',
    });
    expect(audit.json.items).toEqual([
      expect.objectContaining({ actor: 'ops', action: 'plugin-config-added' }),
    ]);
  });
});

describe('health and metrics', () => {
  it('reports health, and 503 once stopped', async () => {
    const host = await start();
    const health = await call(host, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      status: 'ok',
      state: 'running',
      storage: { kind: 'memory', durable: false },
      modules: ['cte', 'cto'],
      plugins: 13,
      configurations: { total: 0, enabled: 0 },
    });
    await host.exchange.stop();
    const stopped = await call(host, 'GET', '/healthz');
    expect(stopped.status).toBe(503);
    expect(stopped.json).toMatchObject({ status: 'unavailable', state: 'stopped' });
    expect((await call(host, 'GET', '/metrics')).text).toContain('\nce_up 0\n');
  });

  it('exposes Prometheus text with HELP and TYPE for every family', async () => {
    const host = await start({
      plugins: [{ id: 'intel', pluginId: 'sample', config: { baseUrl: sample.url, apiToken: sampleToken } }],
    });
    await call(host, 'POST', '/api/v1/configurations/intel/check');
    await call(host, 'POST', '/api/v1/configurations', sampleConfiguration('second'));
    await call(host, 'POST', '/api/v1/configurations/second/disable');
    const metrics = await call(host, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');

    const lines = metrics.text.split('\n');
    expect(lines.at(-1)).toBe('');
    const types = new Map<string, string>();
    const helps = new Set<string>();
    const samples: Array<{ name: string; labels: string; value: number }> = [];
    for (const line of lines.slice(0, -1)) {
      const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
      if (comment) {
        if (comment[1] === 'TYPE') types.set(comment[2] as string, comment[3] as string);
        else helps.add(comment[2] as string);
        continue;
      }
      const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
      expect(sampleLine, `malformed line: ${line}`).not.toBeNull();
      samples.push({
        name: sampleLine?.[1] as string,
        labels: sampleLine?.[2] ?? '',
        value: Number(sampleLine?.[3]),
      });
    }
    for (const { name } of samples) {
      const family = [...types.keys()].find(
        (type) =>
          name === type ||
          (types.get(type) === 'histogram' && /^(.*)_(bucket|sum|count)$/.exec(name)?.[1] === type),
      );
      expect(family, `no TYPE for ${name}`).toBeDefined();
      expect(helps.has(family as string)).toBe(true);
    }
    const value = (name: string, labels = ''): number | undefined =>
      samples.find((sampleLine) => sampleLine.name === name && sampleLine.labels === labels)?.value;
    expect(types.get('ce_up')).toBe('gauge');
    expect(value('ce_up')).toBe(1);
    expect(value('ce_plugin_configurations', '{state="enabled"}')).toBe(1);
    expect(value('ce_plugin_configurations', '{state="disabled"}')).toBe(1);
    expect(types.get('ce_plugin_calls_total')).toBe('counter');
    expect(
      value(
        'ce_plugin_calls_total',
        '{plugin="sample",config="intel",operation="check",outcome="succeeded"}',
      ),
    ).toBe(1);
    expect(types.get('ce_plugin_call_duration_seconds')).toBe('histogram');
    expect(value('ce_plugin_call_duration_seconds_count', '{plugin="sample",operation="check"}')).toBe(1);
    expect(
      value('ce_plugin_call_duration_seconds_bucket', '{plugin="sample",operation="check",le="+Inf"}'),
    ).toBe(1);
    expect(types.get('ce_scheduler_task_runs_total')).toBe('counter');
    expect(
      value(
        'ce_http_requests_total',
        '{method="POST",route="/api/v1/configurations/:id/check",status="200"}',
      ),
    ).toBe(1);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(types.get('process_cpu_seconds_total')).toBe('counter');
  });
});

describe('startup', () => {
  it('applies the configured plugin configurations: adds, then leaves unchanged ones alone, updates changed ones', async () => {
    const { createMemoryStorage } = await import('@ce/core');
    const storage = createMemoryStorage();
    const entry = { id: 'intel', pluginId: 'sample', config: { baseUrl: sample.url, apiToken: sampleToken } };
    const run = async (plugins: HostConfigFile['plugins']): Promise<ReferenceHost> => {
      // One key for every run: the storage outlives the hosts, so the secrets it holds must stay readable.
      const config = resolveHostConfig(
        { port: 0, storage: { kind: 'memory' }, secretKey: 'k'.repeat(32), plugins },
        { env: {} },
      );
      const host = await startReferenceHost({
        config,
        storage: closeless(storage),
        logger: createMemoryLogger(),
        checkIntervalMs: 0,
      });
      await host.stop();
      return host;
    };
    expect((await run([entry])).applied).toEqual({ added: ['intel'], updated: [], unchanged: [] });
    expect((await run([entry])).applied).toEqual({ added: [], updated: [], unchanged: ['intel'] });
    expect(
      (await run([{ ...entry, config: { ...entry.config, apiToken: 'another-token-123' } }])).applied.updated,
    ).toEqual(['intel']);
    expect((await run([{ ...entry, enabled: false }])).applied.updated).toEqual(['intel']);
    const record = await storage.pluginConfigs.get('intel');
    expect(record).toMatchObject({ enabled: false, version: 3 });
  });

  it('refuses invalid log shipper routes with their path under cls', async () => {
    const config = resolveHostConfig(
      {
        port: 0,
        storage: { kind: 'memory' },
        cls: {
          routes: [{ id: 'r', source: 'tenant', format: 'xml', sinks: [] }],
          spool: { directory: 'memory' },
        },
      },
      { env: {} },
    );
    expect(config.cls?.spool).toEqual({});
    const error = await startReferenceHost({
      config,
      logger: createMemoryLogger(),
      checkIntervalMs: 0,
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((issue) => issue.path);
    expect(paths).toContain('cls.routes[0].format');
  });

  it('refuses invalid plugin settings with the field path in the file, and stops what it started', async () => {
    const logger = createMemoryLogger();
    const config = resolveHostConfig(
      {
        port: 0,
        storage: { kind: 'memory' },
        plugins: [
          { id: 'ok', pluginId: 'sample', config: { baseUrl: sample.url, apiToken: sampleToken } },
          { id: 'bad', pluginId: 'sample', config: { baseUrl: 'ftp://x', apiToken: sampleToken } },
          {
            id: 'env',
            pluginId: 'sample',
            config: { baseUrl: sample.url, apiToken: { secretRef: 'env:CE_TEST_MISSING_TOKEN' } },
          },
        ],
      },
      { env: {}, source: 'host.yaml' },
    );
    const error = await startReferenceHost({ config, logger, checkIntervalMs: 0 }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /^invalid configuration file host\.yaml: plugins\[1\]\.config\.baseUrl: /,
    );
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([
      'plugins[1].config.baseUrl',
      'plugins[2].config.apiToken',
    ]);
  });

  it('fails clearly when the port is taken', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    const config = resolveHostConfig({ port, storage: { kind: 'memory' } }, { env: {} });
    await expect(
      startReferenceHost({ config, logger: createMemoryLogger(), checkIntervalMs: 0 }),
    ).rejects.toThrow(/is in use/);
  });
});

describe('the TAXII server', () => {
  it('publishes saved lists under /taxii2/ to holders of an API token, and counts its requests', async () => {
    const token = 'taxii-reader-token-0123456789';
    const host = await start({
      api: { tokens: [{ name: 'partner', token }] },
      lists: [{ name: 'Phishing_URLs', rule: 'type = "url"' }],
      taxii: {
        collections: [
          { id: '0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b', title: 'Phishing', list: 'Phishing_URLs' },
        ],
      },
    });
    await host.cte.ingest('analyst', 'http://phish-login.top/login\n');
    const accept = 'application/taxii+json;version=2.1';
    const anonymous = await fetch(`${host.url}/taxii2/`, { headers: { accept } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="cloud-exchange"');
    const headers = { accept, authorization: `Bearer ${token}` };
    const discovery = await fetch(`${host.url}/taxii2/`, { headers });
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({
      title: 'Cloud Exchange',
      default: expect.stringMatching(/\/taxii2\/cte\/$/),
    });
    const objects = await fetch(
      `${host.url}/taxii2/cte/collections/0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b/objects/`,
      { headers },
    );
    const envelope = (await objects.json()) as { objects: Array<{ pattern: string }> };
    expect(envelope.objects.map((object) => object.pattern)).toEqual([
      "[url:value = 'http://phish-login.top/login']",
    ]);
    const metrics = await (await fetch(`${host.url}/metrics`)).text();
    expect(metrics).toMatch(/route="taxii",status="200"/);
  });
});

describe('graceful stop', () => {
  it('finishes the request in flight, then stops the exchange; later connections are refused', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const checking = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slowPlugin = definePlugin({
      id: 'slow',
      name: 'Slow',
      version: '1.0.0',
      description: 'A check that waits until the test lets it go.',
      modules: ['cte'],
      configSchema: z.object({ apiToken: secretString() }),
      async check() {
        entered();
        await gate;
        return { ok: true, message: 'finally' };
      },
    });
    const host = await start(
      { plugins: [{ id: 'slow-1', pluginId: 'slow', config: { apiToken: 'slow-token-123' } }] },
      { plugins: [samplePlugin, slowPlugin] },
    );
    const inFlight = call(host, 'POST', '/api/v1/configurations/slow-1/check');
    await checking;
    const stopped = host.stop();
    expect(host.stop()).toBe(stopped);
    expect((await host.exchange.health()).status).toBe('running');
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true, message: 'finally' });
    expect(answer.headers.get('connection')).toBe('close');
    await stopped;
    expect((await host.exchange.health()).status).toBe('stopped');
    await expect(fetch(`${host.url}/healthz`)).rejects.toThrow();
  });
});

/** The same storage across several host runs: each run's stop must not close it for the next. */
function closeless<T extends { close(): Promise<void> }>(storage: T): T {
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'close') return async () => undefined;
      return Reflect.get(target, property, receiver);
    },
  });
}
