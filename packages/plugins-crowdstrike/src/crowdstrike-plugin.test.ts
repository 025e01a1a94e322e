import {
  type ChosenAction,
  FakeClock,
  type IndicatorBatch,
  type IndicatorType,
  type SharedIndicator,
  type SourceCheckpoint,
} from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import combinedPage from './__fixtures__/combined-indicators-page.json' with { type: 'json' };
import duplicateResponse from './__fixtures__/create-duplicate-response.json' with { type: 'json' };
import tokenResponse from './__fixtures__/token-response.json' with { type: 'json' };
import { indicatorEnvelopeSchema, tokenResponseSchema } from './crowdstrike-api.js';
import type { CrowdStrikeConfig } from './crowdstrike-config.js';
import { crowdStrikeDestination } from './crowdstrike-destination.js';
import { type CrowdStrikeMockServer, startCrowdStrikeMockServer } from './crowdstrike-mock-server.js';
import { crowdStrikePlugin } from './crowdstrike-plugin.js';
import { crowdStrikeSource, toIndicatorReport } from './crowdstrike-source.js';

const clientId = 'cs-test-client-id';
const clientSecret = 'cs-test-secret-Zx81q7Lm';
const sha = (n: number): string => n.toString(16).padStart(64, 'a');
const md5 = (n: number): string => n.toString(16).padStart(32, 'b');
const start = Date.parse('2026-01-01T00:00:00.000Z');

let clock: FakeClock;
let falcon: CrowdStrikeMockServer;
let harness: PluginHarness<CrowdStrikeConfig>;

function makeHarness(config: Record<string, unknown> = {}): PluginHarness<CrowdStrikeConfig> {
  return createPluginHarness(crowdStrikePlugin, {
    config: { baseUrl: falcon.url, clientId, clientSecret, ...config },
    clock,
  });
}

async function collect(iterable: AsyncIterable<IndicatorBatch>): Promise<IndicatorBatch[]> {
  const batches: IndicatorBatch[] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

/** Lets a call run while moving the fake clock whenever it waits on it. */
async function withClock<T>(promise: Promise<T>, stepMs = 1_000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (clock.pendingTimers > 0) await clock.advance(stepMs);
  }
  return tracked;
}

function shared(type: IndicatorType, value: string, extra: Partial<SharedIndicator> = {}): SharedIndicator {
  return {
    type,
    value,
    severity: 'high',
    reputation: 8,
    tags: ['apt-x'],
    firstSeen: start,
    lastSeen: start,
    sources: ['feed'],
    ...extra,
  };
}

const pullAll = (checkpoint: SourceCheckpoint | undefined) =>
  collect(crowdStrikeSource.pull(harness.newContext(), checkpoint));
const detect: ChosenAction = { id: 'detect', parameters: {} };
const apiRequests = () => falcon.requests.filter((request) => request.path !== '/oauth2/token');
const push = (indicators: SharedIndicator[], action: ChosenAction = detect) =>
  harness.run((ctx) => crowdStrikeDestination.push(ctx, indicators, action));

beforeEach(async () => {
  clock = new FakeClock(start);
  falcon = await startCrowdStrikeMockServer({ clientId, clientSecret, clock, tokenLifetimeSeconds: 1_799 });
  harness = makeHarness();
});

afterEach(async () => {
  await harness.close();
  await falcon.close();
});

describe('documented payloads', () => {
  it('fit the envelope and token schemas and map to reports', () => {
    expect(tokenResponseSchema.parse(tokenResponse).expires_in).toBe(1_799);
    const page = indicatorEnvelopeSchema.parse(combinedPage);
    expect(page.meta.pagination?.after).toBe('WzE3MDQwNjcyMDAwMDAsIjg5ZjJjIl0=');
    expect(indicatorEnvelopeSchema.parse(duplicateResponse).errors?.[0]?.code).toBe(400);
    const [domain, hash] = (page.resources ?? []).map(toIndicatorReport);
    expect(domain).toEqual({
      value: 'evil-domain.com',
      type: 'domain',
      severity: 'high',
      reputation: 8,
      tags: ['phishing', 'campaign-42'],
      comments: 'Phishing infrastructure',
      firstSeen: Date.parse('2024-01-01T00:00:00.123Z'),
      lastSeen: Date.parse('2024-01-02T08:30:00.500Z'),
      expiresAt: Date.parse('2024-03-01T00:00:00Z'),
    });
    expect(hash).toMatchObject({ type: 'sha256', severity: 'unknown', reputation: 1, safe: true });
  });
});

describe('OAuth2 client credentials', () => {
  it('posts form-encoded credentials once and reuses the token until it nears expiry', async () => {
    await harness.check();
    await harness.check();
    const tokenRequests = falcon.requests.filter((request) => request.path === '/oauth2/token');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenRequests[0]?.body))).toEqual({
      client_id: clientId,
      client_secret: clientSecret,
    });
    const bearer = apiRequests()[0]?.headers.authorization;
    expect(bearer).toMatch(/^Bearer \S+$/);
    expect(apiRequests().every((request) => request.headers.authorization === bearer)).toBe(true);

    // 29 minutes later the token is inside its one-minute renewal margin.
    await clock.advance(29 * 60_000 + 1_000);
    await harness.check();
    expect(falcon.tokensIssued).toBe(2);
    expect(apiRequests().at(-1)?.headers.authorization).not.toBe(bearer);
  });

  it('asks for a new token once when Falcon answers 401, then succeeds', async () => {
    await harness.check();
    falcon.revokeTokens();
    const result = await harness.check();
    expect(result.ok).toBe(true);
    expect(falcon.tokensIssued).toBe(2);
    expect(apiRequests().map((request) => request.path)).toEqual([
      '/iocs/queries/indicators/v1',
      '/iocs/queries/indicators/v1',
      '/iocs/queries/indicators/v1',
    ]);
  });

  it('sends the member CID of a multi-CID tenant', async () => {
    await falcon.close();
    const memberCid = '0123456789abcdef0123456789abcdef';
    falcon = await startCrowdStrikeMockServer({ clientId, clientSecret, clock, memberCid });
    await harness.close();
    harness = makeHarness({ memberCid });
    expect((await harness.check()).ok).toBe(true);
    expect(new URLSearchParams(falcon.requests[0]?.body).get('member_cid')).toBe(memberCid);
  });

  it('reports wrong credentials as HTTP_AUTH_FAILED and never logs the secret or token', async () => {
    await harness.close();
    harness = makeHarness({ clientSecret: 'wrong-secret-Qp47xv' });
    const error = await pullAll(undefined).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 403 });
    const check = await harness.check();
    expect(check).toMatchObject({ ok: false, retryable: false });
    const text = JSON.stringify([error, harness.logs, check, (error as Error).message]);
    expect(text).not.toContain('wrong-secret-Qp47xv');

    await harness.close();
    harness = makeHarness();
    await harness.check();
    await push([shared('domain', 'logged.example')]);
    const token = (apiRequests()[0]?.headers.authorization ?? '').replace('Bearer ', '');
    expect(token.length).toBeGreaterThan(10);
    const logs = JSON.stringify(harness.logs);
    expect(logs).not.toContain(clientSecret);
    expect(logs).not.toContain(token);
  });
});

describe('source: pull', () => {
  beforeEach(() => {
    for (let i = 0; i < 25; i++) {
      falcon.addIndicator({
        type: i % 2 === 0 ? 'sha256' : 'domain',
        value: i % 2 === 0 ? sha(i) : `host${i}.example`,
        action: i === 3 ? 'allow' : 'detect',
        severity: 'high',
        tags: ['seed'],
        created_on: new Date(start - 3_600_000 + i * 1_000).toISOString(),
        modified_on: new Date(start - 3_600_000 + i * 1_000).toISOString(),
      });
    }
    // Pushed by this exchange earlier: not read back.
    falcon.addIndicator({ type: 'domain', value: 'own.example', source: 'Cloud Exchange' });
    // Outside the first pull's range.
    falcon.addIndicator({ type: 'domain', value: 'old.example', modified_on: '2025-01-01T00:00:00.000Z' });
  });

  it('pages with the after cursor, oldest change first, one batch per page', async () => {
    await harness.close();
    harness = makeHarness({ pull: { pageSize: 10 } });
    const batches = await pullAll(undefined);
    expect(batches.map((batch) => batch.indicators.length)).toEqual([10, 10, 5]);
    const values = batches.flatMap((batch) => batch.indicators.map((indicator) => indicator.value));
    expect(values).toHaveLength(25);
    expect(values[0]).toBe(sha(0));
    expect(values).not.toContain('own.example');
    expect(values).not.toContain('old.example');
    expect(batches[0]?.indicators.find((indicator) => indicator.value === 'host3.example')).toMatchObject({
      safe: true,
      reputation: 1,
    });

    const pages = apiRequests();
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query).toMatchObject({ limit: '10', sort: 'modified_on|asc' });
    expect(pages[0]?.query.filter).toBe(
      "type:['sha256','md5','domain','ipv4','ipv6']+modified_on:>='2025-12-25T00:00:00.000Z'+deleted:false+expired:false+source:!'Cloud Exchange'",
    );
    expect(pages[0]?.query.after).toBeUndefined();
    expect(pages[1]?.query.after).toBe((batches[0]?.checkpoint as { after?: string } | undefined)?.after);

    const last = new Date(start - 3_600_000 + 24_000).toISOString();
    expect(batches[0]?.checkpoint).toMatchObject({
      since: '2025-12-25T00:00:00.000Z',
      after: expect.any(String),
    });
    expect(batches[2]?.checkpoint).toEqual({ since: last, highWater: last });
  });

  it('resumes mid-pull from the checkpoint after a crash, without repeating pages', async () => {
    await harness.close();
    harness = makeHarness({ pull: { pageSize: 10 } });
    let checkpoint: SourceCheckpoint | undefined;
    await harness.run(async (ctx) => {
      for await (const batch of crowdStrikeSource.pull(ctx, undefined)) {
        checkpoint = batch.checkpoint;
        break; // the process dies after storing the first batch
      }
    });
    expect(checkpoint).toMatchObject({ after: expect.any(String) });
    const before = apiRequests().length;
    const rest = await pullAll(checkpoint);
    const resumed = apiRequests().slice(before);
    expect(resumed[0]?.query.after).toBe((checkpoint as { after?: string } | undefined)?.after);
    expect(rest.flatMap((batch) => batch.indicators)).toHaveLength(15);

    // The next run asks only for changes since the last one seen.
    falcon.addIndicator({
      type: 'ipv4',
      value: '203.0.113.7',
      modified_on: new Date(start + 60_000).toISOString(),
    });
    const next = await pullAll(rest.at(-1)?.checkpoint);
    const nextValues = next.flatMap((batch) => batch.indicators.map((indicator) => indicator.value));
    expect(nextValues).toContain('203.0.113.7');
    expect(nextValues.length).toBeLessThanOrEqual(2); // the boundary indicator may repeat
  });

  it('restarts the query when the checkpoint cursor has expired', async () => {
    await harness.close();
    harness = makeHarness({ pull: { pageSize: 10 } });
    let checkpoint: SourceCheckpoint | undefined;
    await harness.run(async (ctx) => {
      for await (const batch of crowdStrikeSource.pull(ctx, undefined)) {
        checkpoint = batch.checkpoint;
        break;
      }
    });
    await clock.advance(10 * 60_000);
    const batches = await pullAll(checkpoint);
    expect(batches.flatMap((batch) => batch.indicators)).toHaveLength(25);
    expect(harness.logs.some((record) => record.message.includes('cursor rejected'))).toBe(true);
  });

  it('filters by type, source and creation time', async () => {
    await harness.close();
    harness = makeHarness({
      pull: { types: ['domain'], sources: ['Falcon console'], createdSince: '2025-12-31T23:30:00Z' },
    });
    const batches = await pullAll(undefined);
    const values = batches.flatMap((batch) => batch.indicators.map((indicator) => indicator.value));
    expect(values.every((value) => value.endsWith('.example'))).toBe(true);
    expect(apiRequests()[0]?.query.filter).toContain("source:['Falcon console']");
    expect(apiRequests()[0]?.query.filter).toContain("created_on:>='2025-12-31T23:30:00.000Z'");
  });

  it('lists indicators the tenant deleted or let expire as retracted', async () => {
    const [gone, kept] = falcon.indicators();
    await harness.run(
      (ctx) =>
        crowdStrikeDestination.retract?.(ctx, [{ type: 'sha256', value: gone?.value ?? '' }], detect) ??
        Promise.resolve([]),
    );
    falcon.addIndicator({
      type: 'ipv4',
      value: '198.51.100.1',
      expiration: new Date(start + 1_000).toISOString(),
    });
    await clock.advance(2_000);
    const retracted = await harness.run(
      (ctx) =>
        crowdStrikeSource.listRetracted?.(ctx, [
          { type: 'sha256', value: gone?.value ?? '' },
          { type: 'domain', value: kept?.value ?? '' },
          { type: 'ipv4', value: '198.51.100.1' },
          { type: 'url', value: 'http://never.example/' },
        ]) ?? Promise.resolve([]),
    );
    expect(retracted).toEqual([
      { type: 'sha256', value: gone?.value },
      { type: 'ipv4', value: '198.51.100.1' },
    ]);
  });
});

describe('destination: push', () => {
  it('creates new indicators with the documented payload and remembers their ids', async () => {
    const results = await push([
      shared('domain', 'Evil.Example', { comments: 'from feed', expiresAt: start + 86_400_000 }),
      shared('sha256', sha(1).toUpperCase()),
      shared('ipv4', '203.0.113.9', { severity: 'unknown' }),
      shared('hostname', 'c2.example'),
    ]);
    expect(results.every((result) => result.ok)).toBe(true);
    const posts = apiRequests().filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.query).toEqual({ retrodetects: 'false', ignore_warnings: 'true' });
    const body = JSON.parse(posts[0]?.body ?? '{}') as {
      indicators: Array<Record<string, unknown>>;
      comment: string;
    };
    expect(body.comment).toBe('Shared by Cloud Exchange');
    expect(body.indicators[0]).toEqual({
      type: 'domain',
      value: 'evil.example',
      action: 'detect',
      severity: 'high',
      platforms: ['windows', 'mac', 'linux'],
      applied_globally: true,
      source: 'Cloud Exchange',
      description: 'from feed',
      tags: ['apt-x'],
      expiration: new Date(start + 86_400_000).toISOString(),
    });
    expect(body.indicators[1]).toMatchObject({ type: 'sha256', value: sha(1) });
    expect(body.indicators[2]).toMatchObject({ type: 'ipv4', severity: 'informational' });
    expect(body.indicators[3]).toMatchObject({ type: 'domain', value: 'c2.example' });
    expect(falcon.indicators().map((indicator) => indicator.value)).toEqual([
      'evil.example',
      sha(1),
      '203.0.113.9',
      'c2.example',
    ]);
    const keys = await harness.context.state.keys('ioc-id:');
    expect(keys).toHaveLength(4);

    // Pushing again updates in place by id, without a create.
    const before = apiRequests().length;
    const again = await push([shared('domain', 'evil.example', { severity: 'critical' })], {
      id: 'detect',
      parameters: { platforms: ['windows'] },
    });
    expect(again).toEqual([{ key: 'domain:evil.example', ok: true }]);
    expect(
      apiRequests()
        .slice(before)
        .map((request) => request.method),
    ).toEqual(['PATCH']);
    expect(falcon.indicators()[0]).toMatchObject({ severity: 'critical', platforms: ['windows'] });
  });

  it('updates indicators that already exist on the tenant when Falcon reports duplicates', async () => {
    const existing = falcon.addIndicator({
      type: 'domain',
      value: 'dup.example',
      action: 'no_action',
      severity: 'low',
    });
    const results = await push([shared('domain', 'dup.example'), shared('md5', md5(7))], {
      id: 'detect',
      parameters: { severity: 'medium', expirationDays: 30 },
    });
    expect(results).toEqual([
      { key: 'domain:dup.example', ok: true },
      { key: `md5:${md5(7)}`, ok: true },
    ]);
    expect(apiRequests().map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
    const patch = JSON.parse(apiRequests()[3]?.body ?? '{}') as {
      indicators: Array<Record<string, unknown>>;
    };
    expect(patch.indicators).toEqual([
      expect.objectContaining({ id: existing.id, action: 'detect', severity: 'medium' }),
    ]);
    expect(patch.indicators[0]).not.toHaveProperty('type');
    const updated = falcon.indicators().find((indicator) => indicator.id === existing.id);
    expect(updated).toMatchObject({
      action: 'detect',
      severity: 'medium',
      source: 'Cloud Exchange',
      expiration: new Date(start + 30 * 86_400_000).toISOString(),
    });
    expect(await harness.context.state.get('ioc-id:domain:dup.example')).toBe(existing.id);
  });

  it('re-creates an indicator whose remembered id was deleted in the console', async () => {
    await push([shared('domain', 'recreate.example')]);
    const id = falcon.indicators()[0]?.id ?? '';
    expect(falcon.deleteIndicator(id)).toBe(true);
    const before = apiRequests().length;
    const results = await push([shared('domain', 'recreate.example')]);
    expect(results).toEqual([{ key: 'domain:recreate.example', ok: true }]);
    expect(
      apiRequests()
        .slice(before)
        .map((request) => `${request.method} ${request.path}`),
    ).toEqual([
      'PATCH /iocs/entities/indicators/v1',
      'GET /iocs/queries/indicators/v1',
      'POST /iocs/entities/indicators/v1',
    ]);
    const live = falcon.indicators().filter((indicator) => !indicator.deleted);
    expect(await harness.context.state.get('ioc-id:domain:recreate.example')).toBe(live[0]?.id);
    expect(live[0]?.id).not.toBe(id);
  });

  it('fails unsupported types per item without a request', async () => {
    const results = await push([
      shared('url', 'http://evil.example/x'),
      shared('email', 'bad@evil.example'),
      shared('ipv4-cidr', '203.0.113.0/24'),
      shared('sha1', 'a'.repeat(40)),
    ]);
    expect(results.map((result) => result.ok)).toEqual([false, false, false, false]);
    expect(results[0]).toMatchObject({
      key: 'url:http://evil.example/x',
      error: {
        code: 'VALIDATION_FAILED',
        retryable: false,
        message: expect.stringContaining('does not hold url'),
      },
    });
    expect(falcon.requests).toHaveLength(0);
  });

  it('applies block and allow to hashes only', async () => {
    const results = await push([shared('domain', 'block.example'), shared('sha256', sha(9))], {
      id: 'prevent',
      parameters: {},
    });
    expect(results[0]).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('md5 and sha256') },
    });
    expect(results[1]).toEqual({ key: `sha256:${sha(9)}`, ok: true });
    expect(falcon.indicators()[0]).toMatchObject({ action: 'prevent', value: sha(9) });
    const actions = crowdStrikeDestination.getActions(harness.context.config);
    expect(actions.map((action) => action.id)).toEqual(['detect', 'prevent', 'allow', 'no_action']);
    expect(actions.find((action) => action.id === 'allow')?.indicatorTypes).toEqual(['md5', 'sha256']);
  });

  it('reports a per-item error from Falcon while the rest of the batch succeeds', async () => {
    const results = await push([shared('sha256', 'not-a-hash'), shared('domain', 'fine.example')]);
    expect(results[0]).toMatchObject({
      key: 'sha256:not-a-hash',
      ok: false,
      error: { code: 'HTTP_ERROR', message: expect.stringContaining('64 hexadecimal') },
    });
    expect(results[1]).toEqual({ key: 'domain:fine.example', ok: true });
  });

  it('rejects unknown actions and invalid parameters per item', async () => {
    const unknown = await push([shared('domain', 'a.example')], { id: 'quarantine', parameters: {} });
    expect(unknown[0]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const invalid = await push([shared('domain', 'a.example')], {
      id: 'detect',
      parameters: { platforms: ['beos'] },
    });
    expect(invalid[0]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(falcon.requests).toHaveLength(0);
  });

  it('sends 450 indicators in three requests of at most 200', async () => {
    const indicators = Array.from({ length: 450 }, (_, i) => shared('sha256', sha(1_000 + i)));
    const results = await push(indicators);
    expect(results.filter((result) => result.ok)).toHaveLength(450);
    const posts = apiRequests().filter((request) => request.method === 'POST');
    expect(
      posts.map((request) => (JSON.parse(request.body) as { indicators: unknown[] }).indicators.length),
    ).toEqual([200, 200, 50]);
    expect(crowdStrikeDestination.limits).toEqual({ maxBatchCount: 200, maxTotal: 1_000_000 });
  });

  it('keeps new indicators within maxIocs and reports Falcon’s own cap per item', async () => {
    falcon.addIndicator({ type: 'domain', value: 'one.example' });
    falcon.addIndicator({ type: 'domain', value: 'two.example' });
    await harness.close();
    harness = makeHarness({ maxIocs: 3 });
    const results = await push([shared('domain', 'three.example'), shared('domain', 'four.example')]);
    expect(results[0]).toEqual({ key: 'domain:three.example', ok: true });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'CONFLICT', retryable: true } });
    const posted = JSON.parse(apiRequests().find((request) => request.method === 'POST')?.body ?? '{}') as {
      indicators: unknown[];
    };
    expect(posted.indicators).toHaveLength(1);

    await falcon.close();
    falcon = await startCrowdStrikeMockServer({ clientId, clientSecret, clock, maxIocs: 1 });
    await harness.close();
    harness = makeHarness();
    const capped = await push([shared('domain', 'five.example'), shared('domain', 'six.example')]);
    expect(capped[0]).toEqual({ key: 'domain:five.example', ok: true });
    expect(capped[1]).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', message: expect.stringContaining('maximum') },
    });
  });
});

describe('destination: retract', () => {
  it('deletes by remembered ids, looks up unknown ones, and treats absent ones as retracted', async () => {
    await push([shared('domain', 'r1.example'), shared('sha256', sha(2))]);
    const consoleMade = falcon.addIndicator({ type: 'ipv4', value: '192.0.2.44' });
    const before = apiRequests().length;
    const results = await harness.run(
      (ctx) =>
        crowdStrikeDestination.retract?.(
          ctx,
          [
            { type: 'domain', value: 'r1.example' },
            { type: 'sha256', value: sha(2) },
            { type: 'ipv4', value: '192.0.2.44' },
            { type: 'domain', value: 'never-pushed.example' },
            { type: 'url', value: 'http://x.example/' },
          ],
          detect,
        ) ?? Promise.resolve([]),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    const calls = apiRequests().slice(before);
    expect(calls.map((request) => request.method)).toEqual(['GET', 'DELETE']);
    expect(calls[1]?.query.comment).toBe('Retracted by Cloud Exchange');
    expect(falcon.indicators().filter((indicator) => indicator.deleted)).toHaveLength(3);
    expect(falcon.indicators().find((indicator) => indicator.id === consoleMade.id)?.deleted).toBe(true);
    expect(await harness.context.state.keys('ioc-id:')).toEqual([]);
  });
});

describe('rate limits and bad answers', () => {
  it('waits until X-RateLimit-RetryAfter, then retries', async () => {
    await harness.check();
    falcon.throttleNext(2, 5);
    const waitedFrom = clock.now();
    const results = await withClock(push([shared('domain', 'slow.example')]));
    expect(results).toEqual([{ key: 'domain:slow.example', ok: true }]);
    expect(clock.now() - waitedFrom).toBeGreaterThanOrEqual(5_000);
    const throttled = falcon.requests.filter((request) => request.path === '/iocs/queries/indicators/v1');
    expect(throttled.length).toBeGreaterThanOrEqual(3);
  });

  it('fails with HTTP_RATE_LIMITED when Falcon asks for a wait above the ceiling', async () => {
    await harness.check();
    falcon.throttleNext(1, 600);
    const error = await push([shared('domain', 'never.example')]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_RATE_LIMITED', status: 429, retryable: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('turns a body that is not the Falcon envelope into HTTP_RESPONSE_INVALID', async () => {
    await harness.check();
    falcon.server.route('GET', '/iocs/combined/indicator/v1', () => ({ body: '<html>gateway</html>' }));
    const garbage = await pullAll(undefined).catch((e: unknown) => e);
    expect(garbage).toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    falcon.server.route('GET', '/iocs/combined/indicator/v1', () => ({ json: { resources: 'nope' } }));
    const wrong = await pullAll(undefined).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'HTTP_RESPONSE_INVALID', message: expect.stringContaining('meta') });
  });

  it('reports a 403 (missing API scope) as HTTP_AUTH_FAILED', async () => {
    await harness.check();
    falcon.server.failNext(1, {
      status: 403,
      json: {
        meta: { query_time: 0, trace_id: 't' },
        errors: [{ code: 403, message: 'access denied, authorization failed' }],
      },
    });
    const error = await push([shared('domain', 'scope.example')]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 403 });
  });
});

describe('configuration', () => {
  it('resolves cloud names and validates fields with paths', () => {
    const parsed = crowdStrikePlugin.validate({ baseUrl: 'eu-1', clientId: 'x', clientSecret: 'y' });
    expect(parsed.ok).toBe(true);
    expect(crowdStrikePlugin.http?.(parsed.ok ? parsed.config : ({} as CrowdStrikeConfig)).baseUrl).toBe(
      'https://api.eu-1.crowdstrike.com',
    );
    if (parsed.ok) {
      expect(parsed.config.push).toMatchObject({ action: 'detect', source: 'Cloud Exchange' });
      expect(parsed.config.push.severityMap.unknown).toBe('informational');
      expect(parsed.config.pull.types).toEqual(['sha256', 'md5', 'domain', 'ipv4', 'ipv6']);
    }
    const bad = crowdStrikePlugin.validate({ baseUrl: 'mars-1', clientId: '', memberCid: 'nope' });
    expect(bad.ok ? [] : bad.issues.map((issue) => issue.path)).toEqual([
      'baseUrl',
      'clientId',
      'clientSecret',
      'memberCid',
    ]);
  });
});
