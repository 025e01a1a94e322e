import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MispMockServer, startMispMockServer } from './mock-misp-server.js';

const apiKey = 'mockkey0000000000000000000000000000000000';
let misp: MispMockServer;

const headers = { authorization: apiKey, accept: 'application/json', 'content-type': 'application/json' };

async function call(
  path: string,
  body?: unknown,
  init: { method?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${misp.url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: init.headers ?? headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
    json: json as Record<string, unknown>,
  };
}

beforeEach(async () => {
  misp = await startMispMockServer({
    apiKey,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    events: [
      {
        info: 'Seeded',
        tags: ['tlp:green'],
        attributes: [
          { type: 'domain', value: 'a.test', tags: ['kill-chain:c2'], timestamp: 1_767_000_000 },
          { type: 'ip-dst', value: '192.0.2.1', timestamp: 1_767_100_000 },
          { type: 'md5', value: 'c'.repeat(32), to_ids: false, timestamp: 1_767_200_000 },
        ],
      },
    ],
  });
});

afterEach(async () => {
  await misp.close();
});

describe('mock MISP server wire format', () => {
  it('answers a bad key with 403 and MISP error body, and HTML to a client that does not ask for JSON', async () => {
    const refused = await call(
      '/attributes/restSearch',
      {},
      { headers: { ...headers, authorization: 'nope' } },
    );
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      name: expect.stringContaining('Authentication failed'),
      message: expect.stringContaining('Authentication failed'),
      url: '/attributes/restSearch',
    });
    const html = await call('/attributes/restSearch', {}, { headers: { authorization: apiKey } });
    expect(html.status).toBe(200);
    expect(html.contentType).toContain('text/html');
    const get = await call('/attributes/restSearch');
    expect(get.status).toBe(405);
  });

  it('filters restSearch with NOT syntax, timestamps and paging', async () => {
    const notTagged = await call('/attributes/restSearch', {
      returnFormat: 'json',
      tags: ['!kill-chain:c2'],
    });
    expect(
      (notTagged.json.response as { Attribute: Array<{ value: string }> }).Attribute.map((a) => a.value),
    ).toEqual(['192.0.2.1', 'c'.repeat(32)]);
    const since = await call('/attributes/restSearch', {
      returnFormat: 'json',
      timestamp: '1767100000',
      to_ids: 1,
    });
    expect((since.json.response as { Attribute: unknown[] }).Attribute).toHaveLength(1);
    const paged = await call('/attributes/restSearch', {
      returnFormat: 'json',
      page: 2,
      limit: 2,
      includeEventTags: true,
    });
    const [only] = (paged.json.response as { Attribute: Array<Record<string, unknown>> }).Attribute;
    expect(only).toMatchObject({
      value: 'c'.repeat(32),
      to_ids: false,
      timestamp: '1767200000',
      Event: { id: '1', info: 'Seeded' },
    });
    expect(only?.Tag).toEqual([expect.objectContaining({ name: 'tlp:green', inherited: true })]);
    const eventTagOnly = await call('/attributes/restSearch', {
      returnFormat: 'json',
      tags: { OR: ['tlp:green'], NOT: ['kill-chain:c2'] },
    });
    expect((eventTagOnly.json.response as { Attribute: unknown[] }).Attribute).toHaveLength(2);
  });

  it('adds attributes with MISP duplicate rule and answer shapes, and deletes softly', async () => {
    const one = await call('/attributes/add/1', { type: 'domain', value: 'b.test' });
    expect(one.json).toMatchObject({ Attribute: { type: 'domain', value: 'b.test', event_id: '1' } });
    const dup = await call('/attributes/add/1', { type: 'domain', value: 'B.test' });
    expect(dup.status).toBe(403);
    expect(dup.json).toMatchObject({
      saved: false,
      errors: { value: ['A similar attribute already exists for this event.'] },
    });
    const many = await call('/attributes/add/1', [
      { type: 'domain', value: 'c.test', Tag: [{ name: 'x' }] },
      { type: 'domain', value: 'b.test' },
      { type: 'domain', value: 'd.test' },
    ]);
    expect(many.status).toBe(200);
    expect(many.json).toMatchObject({
      Attribute: [
        expect.objectContaining({ value: 'c.test', Tag: [expect.objectContaining({ name: 'x' })] }),
        expect.objectContaining({ value: 'd.test' }),
      ],
      errors: { attribute_1: { value: ['A similar attribute already exists for this event.'] } },
    });
    const missing = await call('/attributes/add/99', { type: 'domain', value: 'x.test' });
    expect(missing.status).toBe(404);
    const id = (one.json.Attribute as { id: string }).id;
    expect((await call(`/attributes/delete/${id}`, {})).json).toEqual({ message: 'Attribute deleted.' });
    expect((await call(`/attributes/delete/${id}`, {})).status).toBe(404);
    expect(misp.attributes('1').find((attribute) => attribute.id === id)?.deleted).toBe(true);
    // A deleted attribute no longer blocks its value.
    expect((await call('/attributes/add/1', { type: 'domain', value: 'b.test' })).status).toBe(200);
  });

  it('serves events, tags, sightings and the feed', async () => {
    const created = await call('/events/add', {
      Event: { info: 'New', threat_level_id: '2', Tag: [{ name: 'cloud-exchange' }] },
    });
    const event = created.json.Event as { id: string; Tag: Array<{ name: string }> };
    expect(event.Tag.map((tag) => tag.name)).toEqual(['cloud-exchange']);
    expect((await call(`/events/addTag/${event.id}`, { tag: 'tlp:green' })).json).toMatchObject({
      saved: true,
    });
    expect((await call(`/events/addTag/${event.id}`, { tag: 'never-seen' })).json).toEqual({
      saved: false,
      errors: 'Invalid Tag.',
    });
    const found = await call('/events/restSearch', {
      returnFormat: 'json',
      eventinfo: 'new',
      metadata: true,
    });
    expect(
      (found.json.response as Array<{ Event: Record<string, unknown> }>).map((entry) => entry.Event.info),
    ).toEqual(['New']);
    expect(
      (found.json.response as Array<{ Event: Record<string, unknown> }>)[0]?.Event.Attribute,
    ).toBeUndefined();
    expect((await call(`/events/view/${event.id}`)).json).toMatchObject({
      Event: { info: 'New', threat_level_id: '2' },
    });
    expect((await call('/events/view/77')).status).toBe(404);
    const sighting = await call('/sightings/add', { values: ['192.0.2.1'], source: 'edr' });
    expect(sighting.json).toMatchObject({ Sighting: { attribute_id: '2', source: 'edr', type: '0' } });
    misp.setFeedEvents([
      {
        uuid: '44444444-4444-4444-8444-444444444444',
        info: 'F',
        timestamp: 1_767_000_000,
        attributes: [{ type: 'url', value: 'http://f.test/' }],
      },
    ]);
    const manifest = await call('/feeds/cloud-exchange/manifest.json', undefined, { headers: {} });
    expect(manifest.json).toEqual({
      '44444444-4444-4444-8444-444444444444': expect.objectContaining({ info: 'F', timestamp: '1767000000' }),
    });
    const feedEvent = await call(
      '/feeds/cloud-exchange/44444444-4444-4444-8444-444444444444.json',
      undefined,
      { headers: {} },
    );
    expect(feedEvent.json).toMatchObject({
      Event: {
        uuid: '44444444-4444-4444-8444-444444444444',
        Attribute: [expect.objectContaining({ value: 'http://f.test/' })],
      },
    });
    expect(
      (
        await call('/feeds/cloud-exchange/55555555-4444-4444-8444-444444444444.json', undefined, {
          headers: {},
        })
      ).status,
    ).toBe(404);
  });
});
