import { readFileSync } from 'node:fs';
import { FakeClock, type IndicatorBatch, type SourceCheckpoint } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { type NetskopeConfig, netskopePlugin } from './netskope-plugin.js';

const token = 'v2-token-abcdef123';
const source = netskopePlugin.cte!.source!;
const fixture = (name: string): Record<string, unknown>[] =>
  JSON.parse(readFileSync(new URL(`../__fixtures__/${name}`, import.meta.url), 'utf8'));
const malsite = fixture('malsite-alerts.json');
const malware = fixture('malware-alerts.json');
const start = Date.parse('2026-01-01T00:00:00.000Z');
const fast = { rateLimit: { requestsPerSecond: 1_000, burst: 100 } };

let server: NetskopeMockServer | undefined;
let harness: PluginHarness<NetskopeConfig> | undefined;

afterEach(async () => {
  await harness?.close();
  await server?.close();
  harness = undefined;
  server = undefined;
});

async function setup(
  options: Parameters<typeof startNetskopeMockServer>[0] = {},
  config: Record<string, unknown> = {},
) {
  server = await startNetskopeMockServer({
    token,
    requestsPerSecond: 1_000,
    pageSize: 2,
    waitTimeSeconds: 0,
    alerts: { malsite, malware },
    ...options,
  });
  const clock = new FakeClock(start);
  harness = createPluginHarness(netskopePlugin, {
    config: { tenant: server.url, apiToken: token, ...config },
    configId: 'netskope-prod',
    clock,
    http: fast,
  });
  return { server, harness, clock };
}

async function collect(
  h: PluginHarness<NetskopeConfig>,
  checkpoint: SourceCheckpoint | undefined,
): Promise<IndicatorBatch[]> {
  const batches: IndicatorBatch[] = [];
  await h.run(async (ctx) => {
    for await (const batch of source.pull(ctx, checkpoint)) batches.push(batch);
  });
  return batches;
}

function operations(mock: NetskopeMockServer): string[] {
  return mock.requests.map((request) => `${request.path.split('/').at(-1)} ${request.query.operation}`);
}

describe('alert source', () => {
  it('reads malsite then malware pages from an epoch 7 days back, one batch and checkpoint per page', async () => {
    const { server, harness } = await setup();
    const batches = await collect(harness, undefined);
    const epoch = String(Math.floor((start - 7 * 86_400_000) / 1_000));
    expect(operations(server)).toEqual([
      `malsite ${epoch}`,
      'malsite next',
      'malsite next',
      `malware ${epoch}`,
      'malware next',
    ]);
    expect(server.requests.every((request) => request.query.index === 'ce_sdk_netskope-prod')).toBe(true);
    server.expectHeader('netskope-api-token', token);
    expect(batches.map((batch) => batch.indicators.length)).toEqual([2, 1, 0, 5, 0]);
    expect(
      batches.flatMap((batch) => batch.indicators.map((indicator) => `${indicator.type}:${indicator.value}`)),
    ).toEqual([
      'url:login-verify.example-bad.test/account/signin',
      'url:http://cdn.malware-drop.test/payload.bin',
      'hostname:tracker.suspicious.test',
      'md5:44d88612fea8a8f36de82e1278abb02f',
      'sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
      'md5:0cc175b9c0f1b6a831c399e269772661',
      'md5:92eb5ffee6ae2fec3ad71c777531578f',
      'sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
    ]);
    expect(batches[1]?.checkpoint).toEqual({
      version: 1,
      index: 'ce_sdk_netskope-prod',
      streams: { malsite: { page: 2, operation: 'next', timestampHwm: 1767139320 } },
    });
    expect(batches.at(-1)?.checkpoint).toMatchObject({
      streams: { malsite: { page: 3 }, malware: { page: 2, operation: 'next' } },
    });
  });

  it('continues with next from a stored checkpoint and reads only the new alerts', async () => {
    const { server, harness } = await setup();
    const first = await collect(harness, undefined);
    server.tenant.addAlerts('malsite', [
      { alert_type: 'malsite', url: 'new.bad.test/x', timestamp: 1767139999, severity: 'low' },
    ]);
    server.requests.length = 0;
    const second = await collect(harness, first.at(-1)?.checkpoint);
    expect(operations(server)).toEqual(['malsite next', 'malsite next', 'malware next']);
    expect(second.flatMap((batch) => batch.indicators.map((indicator) => indicator.value))).toEqual([
      'new.bad.test/x',
    ]);
  });

  it('asks the tenant to resend a page that was fetched but never stored (a crash)', async () => {
    const { server, harness } = await setup({}, { alertTypes: ['malsite'] });
    let stored: SourceCheckpoint | undefined;
    let lost: IndicatorBatch | undefined;
    await harness.run(async (ctx) => {
      const iterator = source.pull(ctx, undefined)[Symbol.asyncIterator]();
      const first = await iterator.next();
      stored = (first.value as IndicatorBatch).checkpoint; // the engine stored page 1
      lost = (await iterator.next()).value as IndicatorBatch; // page 2 was served, then the process died
    });
    server.requests.length = 0;
    const resumed = await collect(harness, stored);
    expect(operations(server)).toEqual(['malsite resend', 'malsite next']);
    expect(resumed[0]?.indicators).toEqual(lost?.indicators);
    expect(resumed[0]?.checkpoint).toMatchObject({ streams: { malsite: { page: 2 } } });

    // Once stored, the next pull goes on with next, not resend.
    server.requests.length = 0;
    await collect(harness, resumed.at(-1)?.checkpoint);
    expect(operations(server)).toEqual(['malsite next']);
  });

  it('resends after a lost answer, which the HTTP client must not repeat as next', async () => {
    const { server, harness } = await setup({}, { alertTypes: ['malsite'] });
    const first = await collect(harness, undefined);
    server.tenant.addAlerts('malsite', [
      { alert_type: 'malsite', url: 'late.bad.test/', timestamp: 1767139999 },
    ]);
    server.requests.length = 0;
    // The connection drops after the tenant may have moved its cursor.
    server.failNext(1, 'reset');
    await expect(collect(harness, first.at(-1)?.checkpoint)).rejects.toMatchObject({ code: 'HTTP_NETWORK' });
    expect(operations(server)).toEqual(['malsite next']);
    const retried = await collect(harness, first.at(-1)?.checkpoint);
    expect(operations(server)).toEqual(['malsite next', 'malsite resend', 'malsite next', 'malsite next']);
    // The reset request never reached the mock's handler, so the resent page is the earlier,
    // caught-up one; the new alert follows with next: nothing is skipped.
    expect(retried.flatMap((batch) => batch.indicators.map((indicator) => indicator.value))).toEqual([
      'late.bad.test/',
    ]);
  });

  it('sleeps the wait_time the tenant asks for on the context clock between pages', async () => {
    const { server, harness, clock } = await setup({ waitTimeSeconds: 3 }, { alertTypes: ['malsite'] });
    await harness.run(async (ctx) => {
      const iterator = source.pull(ctx, undefined)[Symbol.asyncIterator]();
      await iterator.next();
      const second = iterator.next();
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
      expect(server.requests).toHaveLength(1);
      await clock.advance(2_999);
      expect(server.requests).toHaveLength(1);
      await clock.advance(1);
      expect(((await second).value as IndicatorBatch).indicators).toHaveLength(1);
      expect(server.requests).toHaveLength(2);
      await iterator.return?.(undefined);
    });
  });

  it('ends the pull on a wait longer than maxWaitSeconds and owes it to the next pull', async () => {
    const { server, harness, clock } = await setup({ waitTimeSeconds: 120 }, { alertTypes: ['malsite'] });
    const first = await collect(harness, undefined);
    expect(first).toHaveLength(1);
    server.requests.length = 0;
    // Too early: the stream is skipped without calling the tenant.
    expect(await collect(harness, first[0]?.checkpoint)).toEqual([]);
    expect(server.requests).toHaveLength(0);
    await clock.advance(120_000);
    const later = await collect(harness, first[0]?.checkpoint);
    expect(later[0]?.indicators).toHaveLength(1);
    expect(operations(server)).toEqual(['malsite next']);
  });

  it('starts over with an epoch when the iterator index changes', async () => {
    const { server, harness: before } = await setup({}, { alertTypes: ['malware'] });
    const first = await collect(before, undefined);
    await before.close();
    harness = createPluginHarness(netskopePlugin, {
      config: { tenant: server.url, apiToken: token, alertTypes: ['malware'], iteratorIndex: 'other_index' },
      clock: new FakeClock(start),
      http: fast,
    });
    server.requests.length = 0;
    const batches = await collect(harness, first.at(-1)?.checkpoint);
    expect(operations(server)[0]).toMatch(/^malware \d+$/);
    expect(server.requests[0]?.query.index).toBe('other_index');
    expect(batches[0]?.checkpoint).toMatchObject({ index: 'other_index', streams: { malware: { page: 1 } } });
  });

  it('takes only the configured indicator types', async () => {
    const { harness } = await setup({}, { alertTypes: ['malware'], pullIndicatorTypes: ['sha256', 'sha1'] });
    const values = (await collect(harness, undefined)).flatMap((batch) =>
      batch.indicators.map((indicator) => `${indicator.type}:${indicator.value}`),
    );
    expect(values).toEqual([
      'sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
      'sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
      'sha1:86f7e437faa5a7fce15d1ddcb9eaeaea377667b8',
    ]);
  });

  it('fails with typed errors on a bad token, ok=0 and a garbage page', async () => {
    const { server, harness } = await setup({}, { alertTypes: ['malsite'] });
    const wrong = createPluginHarness(netskopePlugin, {
      config: { tenant: server.url, apiToken: 'wrong-token-123' },
      http: fast,
    });
    await expect(collect(wrong, undefined)).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 401 });
    await wrong.close();
    server.failNext(1, { json: { ok: 0, result: [] } });
    await expect(collect(harness, undefined)).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    server.failNext(1, { json: { ok: 1, result: 'not a list' } });
    await expect(collect(harness, undefined)).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
  });

  it('waits out a 429 on the iterator and repeats the same operation', async () => {
    const { server, harness } = await setup({}, { alertTypes: ['malware'] });
    server.failNext(1, {
      status: 429,
      headers: { 'retry-after': '1' },
      json: { err: 'Too many requests', error_code: 429, reason: 'Too Many Requests' },
    });
    const batches = await collect(harness, undefined);
    expect(batches.map((batch) => batch.indicators.length)).toEqual([5, 0]);
    const [refused, repeated] = operations(server);
    expect(refused).toBe(repeated);
  });
});
