import { createMockServer, createPluginHarness, type MockServer, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import allFailed from './__fixtures__/add-attributes-all-failed.json' with { type: 'json' };
import partial from './__fixtures__/add-attributes-partial.json' with { type: 'json' };
import restSearch from './__fixtures__/attributes-rest-search.json' with { type: 'json' };
import authFailed from './__fixtures__/auth-failed.json' with { type: 'json' };
import { createMispClient } from './misp-client.js';
import type { MispConfig } from './misp-config.js';
import { mispPlugin } from './misp-plugin.js';

const apiKey = 'fixturekey000000000000000000000000000000';
let server: MockServer;
let harness: PluginHarness<MispConfig>;

beforeEach(async () => {
  server = await createMockServer();
  harness = createPluginHarness(mispPlugin, {
    config: { baseUrl: `${server.url}/misp/`, apiKey, requestsPerSecond: 100 },
  });
});

afterEach(async () => {
  await harness.close();
  await server.close();
});

const four = [
  { type: 'domain', value: 'one.example.test' },
  { type: 'domain', value: 'dup.example.test' },
  { type: 'ip-dst', value: '192.0.2.1' },
  { type: 'md5', value: 'nope' },
];

describe('MISP client against documented answers', () => {
  it('reads a partial attributes/add answer per attribute, duplicates as success', async () => {
    server.route('POST', '/misp/attributes/add/:id', () => ({ json: partial }));
    const outcomes = await harness.run((context) => createMispClient(context).addAttributes('7', four));
    expect(outcomes).toEqual([
      {
        ok: true,
        duplicate: false,
        attribute: expect.objectContaining({ id: '101', timestamp: 1_767_225_600 }),
      },
      { ok: true, duplicate: true },
      { ok: true, duplicate: false, attribute: expect.objectContaining({ id: '102' }) },
      { ok: false, message: expect.stringContaining('Value not in the right type/format') },
    ]);
    const [request] = server.requests;
    expect(request?.path).toBe('/misp/attributes/add/7');
    expect(request?.headers).toMatchObject({
      authorization: apiKey,
      accept: 'application/json',
      'content-type': 'application/json',
    });
    expect(JSON.parse(request?.body ?? '')).toEqual(four);
  });

  it('reads the 403 save failure of an all-refused batch, and a single refused attribute', async () => {
    server.route('POST', '/misp/attributes/add/:id', () => ({ status: 403, json: allFailed }));
    const outcomes = await harness.run((context) =>
      createMispClient(context).addAttributes('7', four.slice(0, 2)),
    );
    expect(outcomes).toEqual([
      { ok: true, duplicate: true },
      { ok: false, message: expect.stringContaining('warninglist') },
    ]);
    server.route('POST', '/misp/attributes/add/:id', () => ({
      status: 403,
      json: {
        saved: false,
        name: 'Could not add Attribute',
        message: 'Could not add Attribute',
        url: '/attributes/add',
        errors: { value: ['The value cannot be empty.'] },
      },
    }));
    const single = await harness.run((context) =>
      createMispClient(context).addAttributes('7', [four[0] as (typeof four)[0]]),
    );
    expect(single).toEqual([{ ok: false, message: 'value: The value cannot be empty.' }]);
  });

  it('tells a refused key (403 without saved:false) apart from a save failure', async () => {
    server.route('POST', '/misp/attributes/add/:id', () => ({ status: 403, json: authFailed }));
    server.route('POST', '/misp/attributes/restSearch', () => ({ status: 403, json: authFailed }));
    await expect(
      harness.run((context) => createMispClient(context).addAttributes('7', four)),
    ).rejects.toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      status: 403,
      message: expect.stringContaining('Authentication failed'),
    });
    const error = await harness
      .run((context) => createMispClient(context).searchAttributes({ page: 1, limit: 1 }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    expect(String((error as Error).message)).not.toContain(apiKey);
  });

  it('reads the documented restSearch answer and sends the search as JSON', async () => {
    server.route('POST', '/misp/attributes/restSearch', () => ({ json: restSearch }));
    const attributes = await harness.run((context) =>
      createMispClient(context).searchAttributes({
        tags: { NOT: ['cloud-exchange'] },
        to_ids: true,
        page: 2,
        limit: 50,
      }),
    );
    expect(attributes[0]).toMatchObject({
      type: 'domain|ip',
      to_ids: true,
      timestamp: 1_767_088_800,
      Event: { id: '12' },
    });
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      returnFormat: 'json',
      tags: { NOT: ['cloud-exchange'] },
      to_ids: true,
      page: 2,
      limit: 50,
    });
  });

  it('needs baseUrl and apiKey for API calls', async () => {
    const feedOnly = createPluginHarness(mispPlugin, {
      config: { mode: 'feed', feedUrl: `${server.url}/feed` },
    });
    await expect(feedOnly.run((context) => createMispClient(context).searchEvents({}))).rejects.toMatchObject(
      {
        code: 'CONFIG_INVALID',
      },
    );
    await feedOnly.close();
    expect(server.requests).toHaveLength(0);
  });
});

describe('MISP configuration', () => {
  it('requires what each mode needs', () => {
    expect(mispPlugin.validate({ baseUrl: 'https://misp.test' })).toMatchObject({
      ok: false,
      issues: [expect.objectContaining({ path: 'apiKey' })],
    });
    expect(mispPlugin.validate({ mode: 'feed' })).toMatchObject({
      ok: false,
      issues: [expect.objectContaining({ path: 'feedUrl' })],
    });
    expect(mispPlugin.validate({ apiKey })).toMatchObject({
      ok: false,
      issues: [expect.objectContaining({ path: 'baseUrl' })],
    });
    const valid = mispPlugin.validate({ baseUrl: 'https://misp.test', apiKey });
    expect(valid).toMatchObject({
      ok: true,
      config: {
        mode: 'api',
        pull: { toIdsOnly: true, initialRangeDays: 7, pageSize: 1000 },
        push: { markerTag: 'cloud-exchange' },
      },
    });
  });
});
