import type { Alert, TicketCreateRequest, TicketDestinationCapability } from '@ce/core';
import { CeError, toCeError } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { pagerDutyLimits, pagerDutyRestAccept } from './pagerduty-api.js';
import type { PagerDutyConfig } from './pagerduty-config.js';
import {
  acknowledgePagerDutyAlert,
  pagerDutyDestination as destination,
  pagerDutyDedupKey,
} from './pagerduty-destination.js';
import {
  type PagerDutyMockServer,
  pagerDutyEventErrors,
  startPagerDutyMockServer,
} from './pagerduty-mock-server.js';
import { pagerDutyPlugin } from './pagerduty-plugin.js';

const full = destination as Required<TicketDestinationCapability<PagerDutyConfig>>;
const routingKey = 'P1aIntegrationKeyForTests0000001';
const restApiKey = 'y_NxAAPBXk-rest-key-for-tests';

const alert = (id: string, extra: Partial<Alert> = {}): Alert => ({
  id,
  sourceConfigId: 'netskope-prod',
  type: 'dlp',
  name: 'DLP policy violation',
  severity: 'high',
  user: 'alice@example.com',
  app: 'Box',
  timestamp: Date.parse('2026-03-01T10:00:00.000Z'),
  raw: { policy: 'PCI block' },
  ...extra,
});

const createRequest = (key: string, extra: Partial<TicketCreateRequest> = {}): TicketCreateRequest => ({
  ticketId: `t-${key}`,
  idempotencyKey: key,
  target: {},
  fields: {
    summary: 'DLP policy violation (dlp) for alice@example.com',
    source: 'netskope-prod',
    severity: 'error',
    component: 'Box',
    group: 'soc-queue',
    class: 'dlp',
    custom_details: '- DLP policy violation by alice@example.com',
  },
  severity: 'high',
  alerts: [alert('a1')],
  alertCount: 1,
  ...extra,
});

let mock: PagerDutyMockServer | undefined;
let harness: PluginHarness<PagerDutyConfig> | undefined;

async function start(config: Record<string, unknown> = {}, rest = true) {
  mock = await startPagerDutyMockServer({ routingKeys: [routingKey], restApiKey });
  harness = createPluginHarness(pagerDutyPlugin, {
    config: {
      routingKey,
      eventsUrl: mock.url,
      restApiUrl: mock.url,
      ...(rest ? { restApiKey } : {}),
      ...config,
    },
  }) as PluginHarness<PagerDutyConfig>;
  return { mock, harness };
}

afterEach(async () => {
  await harness?.close();
  await mock?.close();
  harness = undefined;
  mock = undefined;
});

describe('pagerduty destination', () => {
  it('triggers an alert in the documented wire format, keyed by the idempotency key', async () => {
    const { mock, harness } = await start({ clientUrl: 'https://ce.example.com' });
    const remote = await harness.run((context) =>
      destination.create(
        context,
        createRequest('ce-abc', {
          fields: { ...createRequest('ce-abc').fields, link: 'https://ce.example.com/tickets/t-ce-abc' },
        }),
      ),
    );
    expect(remote).toEqual({ remoteId: 'ce-abc', remoteStatus: 'triggered' });
    const request = mock.server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v2/enqueue');
    expect(request?.headers['content-type']).toContain('application/json');
    const event = JSON.parse(request?.body ?? '{}');
    expect(event).toMatchObject({
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: 'ce-abc',
      client: 'Cloud Exchange',
      client_url: 'https://ce.example.com',
      links: [{ href: 'https://ce.example.com/tickets/t-ce-abc', text: 'Details' }],
      payload: {
        summary: 'DLP policy violation (dlp) for alice@example.com',
        source: 'netskope-prod',
        severity: 'error',
        component: 'Box',
        group: 'soc-queue',
        class: 'dlp',
        timestamp: '2026-03-01T10:00:00.000Z',
        custom_details: {
          details: '- DLP policy violation by alice@example.com',
          ticket_id: 't-ce-abc',
          alert_count: 1,
          alerts: [
            expect.objectContaining({ id: 'a1', user: 'alice@example.com', raw: { policy: 'PCI block' } }),
          ],
        },
      },
    });
    expect(mock.incident('ce-abc')?.status).toBe('triggered');
  });

  it('maps severities when the rendered one is not a PagerDuty severity, with config overrides', async () => {
    const { mock, harness } = await start({ severityMap: { low: 'warning' } });
    const cases = [
      ['critical', 'critical'],
      ['high', 'error'],
      ['medium', 'warning'],
      ['low', 'warning'],
      ['informational', 'info'],
      ['unknown', 'info'],
    ] as const;
    for (const [severity] of cases)
      await harness.run((context) =>
        destination.create(
          context,
          createRequest(`sev-${severity}`, { severity, fields: { summary: 's', severity: 'Highest' } }),
        ),
      );
    expect(mock.events.map((event) => event.payload?.severity)).toEqual(cases.map(([, mapped]) => mapped));
    expect(full.defaultSeverityMap(harness.context.config)).toMatchObject({
      low: 'warning',
      high: 'error',
    });
  });

  it('cuts the summary to 1,024 characters and keeps a long key deterministic within 255', async () => {
    const { mock, harness } = await start();
    const longKey = 'k'.repeat(300);
    const remote = await harness.run((context) =>
      destination.create(context, createRequest(longKey, { fields: { summary: 'x'.repeat(2_000) } })),
    );
    expect(remote.remoteId).toBe(pagerDutyDedupKey(longKey));
    expect(remote.remoteId.length).toBeLessThanOrEqual(pagerDutyLimits.dedupKeyMaxLength);
    expect(Array.from(mock.events[0]?.payload?.summary ?? '').length).toBe(pagerDutyLimits.summaryMaxLength);
  });

  it('drops raw alert payloads before the event would pass 512 KB', async () => {
    const { mock, harness } = await start();
    const big = Array.from({ length: 5 }, (_, index) =>
      alert(`big-${index}`, { raw: { blob: 'z'.repeat(200_000) } }),
    );
    await harness.run((context) =>
      destination.create(context, createRequest('ce-big', { alerts: big, alertCount: 5 })),
    );
    const details = mock.events[0]?.payload?.custom_details as { alerts: Array<Record<string, unknown>> };
    expect(details.alerts).toHaveLength(5);
    expect(details.alerts[0]).not.toHaveProperty('raw');
    expect(Buffer.byteLength(mock.server.requests[0]?.body ?? '')).toBeLessThan(
      pagerDutyLimits.eventMaxBytes,
    );
  });

  it('a resent create deduplicates into the open alert; find without a REST key answers undefined', async () => {
    const { mock, harness } = await start({}, false);
    await harness.run((context) => destination.create(context, createRequest('ce-twice')));
    await harness.run((context) => destination.create(context, createRequest('ce-twice')));
    expect(mock.count('ce-twice')).toBe(1);
    expect(mock.incident('ce-twice')?.log).toHaveLength(2);
    const found = await harness.run((context) =>
      full.find(context, { target: {}, idempotencyKey: 'ce-twice' }),
    );
    expect(found).toBeUndefined();
    expect(
      await harness.run((context) => full.sync(context, { tickets: [{ remoteId: 'ce-twice', target: {} }] })),
    ).toEqual([]);
    expect(mock.server.requests.every((request) => request.path === '/v2/enqueue')).toBe(true);
  });

  it('re-triggers a comment with the original summary; an acknowledged alert stays acknowledged', async () => {
    const { mock, harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-comment')));
    mock.respond('ce-comment', 'acknowledge');
    const result = await harness.run((context) =>
      full.update(context, {
        ticketId: 't-ce-comment',
        idempotencyKey: 'ce-comment',
        target: {},
        remoteId: 'ce-comment',
        kind: 'comment',
        comment: 'Seen again: DLP policy violation by alice@example.com',
        severity: 'high',
        dedupeCount: 1,
        alerts: [alert('a2')],
      }),
    );
    expect(result).toBeUndefined();
    const event = mock.events[1];
    expect(event).toMatchObject({
      event_action: 'trigger',
      dedup_key: 'ce-comment',
      payload: {
        summary: 'DLP policy violation (dlp) for alice@example.com',
        source: 'netskope-prod',
        component: 'Box',
        custom_details: {
          comment: 'Seen again: DLP policy violation by alice@example.com',
          dedupe_count: 1,
          update: 'comment',
        },
      },
    });
    expect(mock.count('ce-comment')).toBe(1);
    expect(mock.incident('ce-comment')?.status).toBe('acknowledged');
  });

  it('sends nothing for comments when updates are off', async () => {
    const { mock, harness } = await start({ updates: 'none' });
    await harness.run((context) => destination.create(context, createRequest('ce-quiet')));
    await harness.run((context) =>
      full.update(context, {
        ticketId: 't',
        idempotencyKey: 'ce-quiet',
        target: {},
        remoteId: 'ce-quiet',
        kind: 'comment',
        comment: 'again',
        severity: 'high',
        dedupeCount: 1,
        alerts: [],
      }),
    );
    expect(mock.events).toHaveLength(1);
  });

  it('resolves by dedup key, and a reopen opens a new incident under the same key', async () => {
    const { mock, harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-life')));
    await harness.run((context) =>
      full.resolve(context, {
        ticketId: 't',
        idempotencyKey: 'ce-life',
        target: {},
        remoteId: 'ce-life',
      }),
    );
    expect(JSON.parse(mock.server.requests[1]?.body ?? '{}')).toEqual({
      routing_key: routingKey,
      event_action: 'resolve',
      dedup_key: 'ce-life',
    });
    expect(mock.incident('ce-life')?.status).toBe('resolved');
    const reopened = await harness.run((context) =>
      full.update(context, {
        ticketId: 't',
        idempotencyKey: 'ce-life',
        target: {},
        remoteId: 'ce-life',
        kind: 'reopen',
        comment: 'Reopened: seen again',
        severity: 'critical',
        dedupeCount: 2,
        alerts: [alert('a3')],
      }),
    );
    expect(reopened).toEqual({ remoteId: 'ce-life', remoteStatus: 'triggered' });
    expect(mock.count('ce-life')).toBe(2);
    expect(mock.incident('ce-life')).toMatchObject({ status: 'triggered', title: 'Reopened: seen again' });
    expect(mock.events[2]?.payload?.severity).toBe('critical');
  });

  it('syncs through the REST API with its auth and version headers', async () => {
    const { mock, harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-s1')));
    await harness.run((context) => destination.create(context, createRequest('ce-s2')));
    mock.respond('ce-s2', 'acknowledge');
    const results = await harness.run((context) =>
      full.sync(context, {
        tickets: ['ce-s1', 'ce-s2', 'ce-never'].map((remoteId) => ({ remoteId, target: {} })),
      }),
    );
    expect(results).toEqual([
      { remoteId: 'ce-s1', exists: true, remoteStatus: 'triggered', updatedAt: expect.any(Number) },
      { remoteId: 'ce-s2', exists: true, remoteStatus: 'acknowledged', updatedAt: expect.any(Number) },
      { remoteId: 'ce-never', exists: false },
    ]);
    const reads = mock.server.requests.filter((request) => request.path === '/incidents');
    expect(reads).toHaveLength(3);
    expect(reads[0]?.headers.authorization).toBe(`Token token=${restApiKey}`);
    expect(reads[0]?.headers.accept).toBe(pagerDutyRestAccept);
    expect(reads[0]?.query).toMatchObject({ incident_key: 'ce-s1', date_range: 'all' });
    const found = await harness.run((context) => full.find(context, { target: {}, idempotencyKey: 'ce-s2' }));
    expect(found).toEqual({
      remoteId: 'ce-s2',
      remoteStatus: 'acknowledged',
      link: expect.stringMatching(/\/incidents\/Q/),
    });
    const statusMap = full.defaultStatusMap(harness.context.config) ?? {};
    expect(results?.map((result) => (result.exists ? statusMap[result.remoteStatus] : 'deleted'))).toEqual([
      'new',
      'in_progress',
      'deleted',
    ]);
  });

  it('sends an acknowledge event', async () => {
    const { mock, harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-ack')));
    await harness.run((context) => acknowledgePagerDutyAlert(context, 'ce-ack'));
    expect(mock.incident('ce-ack')?.status).toBe('acknowledged');
  });

  it('fails an invalid event with a typed, non-retryable error naming PagerDuty’s reasons, not the key', async () => {
    const { harness } = await start();
    const refused = await harness
      .run((context) => acknowledgePagerDutyAlert(context, ''))
      .then(
        () => undefined,
        (thrown: unknown) => toCeError(thrown),
      );
    expect(CeError.isInstance(refused)).toBe(true);
    expect(refused?.retryable).toBe(false);
    expect(refused?.details.status).toBe(400);
    expect(refused?.message).toContain("'dedup_key' is missing or blank");
    expect(JSON.stringify(refused?.toJSON())).not.toContain(routingKey);
  });

  it('refuses an unknown integration key with 400', async () => {
    const { harness } = await start({ routingKey: 'Z'.repeat(32) });
    const error = await harness
      .run((context) => destination.create(context, createRequest('ce-key')))
      .catch((thrown: unknown) => toCeError(thrown));
    expect(error).toMatchObject({ retryable: false });
    expect((error as CeError).message).toContain('Invalid routing key');
    expect((error as CeError).message).not.toContain('Z'.repeat(32));
  });

  it('retries a throttled event and makes one alert', async () => {
    const { mock, harness } = await start();
    mock.throttle(2);
    const remote = await harness.run((context) => destination.create(context, createRequest('ce-busy')));
    expect(remote.remoteId).toBe('ce-busy');
    expect(mock.server.requests.filter((request) => request.path === '/v2/enqueue')).toHaveLength(3);
    expect(mock.count('ce-busy')).toBe(1);
  });

  it('reports a refused REST API key as an auth failure, in sync and in check', async () => {
    const { harness } = await start({ restApiKey: 'not-the-right-key-1234' });
    const error = await harness
      .run((context) => full.sync(context, { tickets: [{ remoteId: 'x', target: {} }] }))
      .catch((thrown: unknown) => toCeError(thrown));
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', retryable: false });
    expect(await harness.check()).toMatchObject({ ok: false, message: expect.stringContaining('refused') });
  });

  it('checks a good REST key, and says what it cannot check without one', async () => {
    await start();
    expect(await harness?.check()).toMatchObject({ ok: true });
    await harness?.close();
    await mock?.close();
    await start({}, false);
    expect(await harness?.check()).toMatchObject({
      ok: true,
      message: expect.stringContaining('not synced'),
    });
  });

  it('validates the integration key length in the configuration', () => {
    const result = pagerDutyPlugin.validate({ routingKey: 'short' });
    expect(result.ok).toBe(false);
    expect(pagerDutyPlugin.validate({ routingKey }).ok).toBe(true);
  });
});

describe('pagerduty mock validation', () => {
  it('names every problem of an event as the Events API does', () => {
    expect(
      pagerDutyEventErrors({
        routing_key: routingKey,
        event_action: 'trigger',
        payload: { summary: 's', source: 'h', severity: 'info' },
      }),
    ).toEqual([]);
    expect(
      pagerDutyEventErrors({ routing_key: 'abc', event_action: 'poke', dedup_key: 'd'.repeat(256) }),
    ).toEqual([
      "Length of 'routing_key' is incorrect (should be 32 characters)",
      "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
      "'dedup_key' is too long (max 255 characters)",
    ]);
    expect(
      pagerDutyEventErrors({
        routing_key: routingKey,
        event_action: 'trigger',
        payload: { summary: '', severity: 'high', timestamp: 'yesterday' },
        images: [{ src: 'http://insecure.example.com/a.png' }],
      }),
    ).toEqual([
      "'payload.summary' is missing or blank",
      "'payload.source' is missing or blank",
      "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
      "'payload.timestamp' is invalid (must be an ISO 8601 timestamp)",
      "'images[].src' must be an HTTPS URL",
    ]);
    expect(pagerDutyEventErrors({ routing_key: routingKey, event_action: 'resolve' })).toEqual([
      "'dedup_key' is missing or blank",
    ]);
  });

  it('drops an acknowledge for a key with no open alert and answers 202', async () => {
    const pagerDuty = await startPagerDutyMockServer();
    try {
      const response = await fetch(`${pagerDuty.url}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ routing_key: routingKey, event_action: 'acknowledge', dedup_key: 'nothing' }),
      });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({
        status: 'success',
        message: 'Event processed',
        dedup_key: 'nothing',
      });
      expect(pagerDuty.incidents).toHaveLength(0);
      const rest = await fetch(`${pagerDuty.url}/incidents`, {
        headers: { authorization: 'Token token=wrong' },
      });
      expect(rest.status).toBe(401);
      expect(await rest.json()).toEqual({ error: { message: 'Authentication failed', code: 2006 } });
    } finally {
      await pagerDuty.close();
    }
  });
});
