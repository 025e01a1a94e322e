import { createHttpClient, FakeClock, type HttpClient } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { idEnvelopeSchema, indicatorEnvelopeSchema } from './crowdstrike-api.js';
import { type CrowdStrikeMockServer, startCrowdStrikeMockServer } from './crowdstrike-mock-server.js';

const clientId = 'mock-client';
const clientSecret = 'mock-secret-123456';
let clock: FakeClock;
let falcon: CrowdStrikeMockServer;
let http: HttpClient;

async function token(): Promise<string> {
  const response = await http.post('/oauth2/token', {
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    expectStatus: [201],
  });
  return (response.body as { access_token: string }).access_token;
}

beforeEach(async () => {
  clock = new FakeClock();
  falcon = await startCrowdStrikeMockServer({ clientId, clientSecret, clock, tokenLifetimeSeconds: 60 });
  http = createHttpClient({ baseUrl: falcon.url, retry: false });
});

afterEach(async () => {
  await http.close();
  await falcon.close();
});

describe('mock Falcon tenant', () => {
  it('issues expiring bearer tokens and answers 401/403 with the envelope', async () => {
    const bad = await http.post('/oauth2/token', {
      body: 'client_id=mock-client&client_secret=wrong',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      expectStatus: [403],
    });
    expect(bad.body).toMatchObject({ errors: [{ code: 403 }], meta: { trace_id: expect.any(String) } });
    const issued = await token();
    const ok = await http.get('/iocs/queries/indicators/v1', {
      headers: { authorization: `Bearer ${issued}` },
      schema: idEnvelopeSchema,
    });
    expect(ok.body.meta.pagination).toMatchObject({ total: 0, limit: 100 });
    expect(ok.headers['x-ratelimit-limit']).toBe('6000');
    await clock.advance(61_000);
    const expired = await http.get('/iocs/queries/indicators/v1', {
      headers: { authorization: `Bearer ${issued}` },
      expectStatus: [401],
    });
    expect(expired.body).toMatchObject({
      errors: [{ code: 401, message: 'access denied, invalid bearer token' }],
    });
  });

  it('pages with after cursors and answers 429 with X-RateLimit-RetryAfter in epoch seconds', async () => {
    for (let i = 0; i < 5; i++) falcon.addIndicator({ type: 'ipv4', value: `192.0.2.${i}` });
    const headers = { authorization: `Bearer ${await token()}` };
    const first = await http.get('/iocs/combined/indicator/v1', {
      headers,
      query: { limit: 3, sort: 'value.asc' },
      schema: indicatorEnvelopeSchema,
    });
    expect(first.body.resources?.map((r) => r.value)).toEqual(['192.0.2.0', '192.0.2.1', '192.0.2.2']);
    const after = first.body.meta.pagination?.after ?? '';
    const second = await http.get('/iocs/combined/indicator/v1', {
      headers,
      query: { limit: 3, sort: 'value.asc', after },
      schema: indicatorEnvelopeSchema,
    });
    expect(second.body.resources).toHaveLength(2);
    expect(second.body.meta.pagination?.after).toBe('');

    falcon.throttleNext(1, 7);
    const throttled = await http.get('/iocs/combined/indicator/v1', { headers, expectStatus: [429] });
    expect(Number(throttled.headers['x-ratelimit-retryafter'])).toBe(Math.ceil(clock.now() / 1_000) + 7);
    expect(throttled.headers['x-ratelimit-remaining']).toBe('0');
    expect(throttled.body).toMatchObject({ resources: null, errors: [{ code: 429 }] });
  });

  it('creates, reports duplicates per item, updates and deletes', async () => {
    const headers = { authorization: `Bearer ${await token()}` };
    const indicator = {
      type: 'domain',
      value: 'Evil.Example',
      action: 'detect',
      severity: 'high',
      platforms: ['windows'],
      applied_globally: true,
    };
    const created = await http.post('/iocs/entities/indicators/v1', {
      headers,
      json: { indicators: [indicator] },
      expectStatus: [201],
      schema: indicatorEnvelopeSchema,
    });
    const id = created.body.resources?.[0]?.id ?? '';
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const duplicate = await http.post('/iocs/entities/indicators/v1', {
      headers,
      json: { indicators: [indicator, { ...indicator, value: 'new.example' }] },
      expectStatus: [400],
      schema: indicatorEnvelopeSchema,
    });
    expect(duplicate.body.errors).toEqual([
      { code: 400, message: "Duplicate type: 'domain' and value: 'evil.example' combination." },
    ]);
    expect(duplicate.body.resources?.[1]?.value).toBe('new.example');
    const patched = await http.patch('/iocs/entities/indicators/v1', {
      headers,
      json: {
        indicators: [
          { id, action: 'no_action' },
          { id: 'f'.repeat(64), action: 'detect' },
        ],
      },
      expectStatus: [400],
      schema: indicatorEnvelopeSchema,
    });
    expect(patched.body.resources?.[0]).toMatchObject({ id, action: 'no_action' });
    expect(patched.body.errors?.[0]).toMatchObject({ code: 404, id: 'f'.repeat(64) });
    const deleted = await http.delete('/iocs/entities/indicators/v1', {
      headers,
      query: { ids: [id, 'e'.repeat(64)] },
      schema: idEnvelopeSchema,
    });
    expect(deleted.body.resources).toEqual([id]);
    expect(deleted.body.errors?.[0]).toMatchObject({ code: 404 });
    expect(falcon.indicators().find((i) => i.id === id)?.deleted).toBe(true);
  });
});
