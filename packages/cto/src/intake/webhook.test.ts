import { createHmac } from 'node:crypto';
import { alertInputSchema, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { alertFromIndicatorHit, alertFromRiskThreshold } from './module-alerts.js';
import { parseWebhookAlerts, signWebhookBody, verifyWebhookSignature } from './webhook.js';

const secret = 'whsec_Sup3rS3cretValue';
const body = '{"id":"a-1","name":"Impossible travel","severity":"P1"}';
const now = Date.parse('2026-03-01T12:00:00Z');
const nowSeconds = now / 1_000;
const hex = (text: string, key = secret) => createHmac('sha256', key).update(text).digest('hex');

describe('verifyWebhookSignature', () => {
  it('accepts sha256=<hex> over the raw body, case-insensitive header names', () => {
    const verdict = verifyWebhookSignature({
      body,
      headers: { 'X-Signature-256': `sha256=${hex(body)}` },
      secret,
    });
    expect(verdict).toEqual({ ok: true, scheme: 'sha256' });
  });

  it('accepts a Buffer body, a custom header, array header values and any secret of a rotation', () => {
    const verdict = verifyWebhookSignature({
      body: Buffer.from(body),
      headers: { 'x-hub-signature-256': [`sha256=${hex(body, 'new-secret')}`] },
      signatureHeader: 'X-Hub-Signature-256',
      secret: ['old-secret', 'new-secret'],
    });
    expect(verdict.ok).toBe(true);
  });

  it('names what is wrong without echoing the secret or the expected digest', () => {
    const base = { body, secret, now };
    const cases = [
      [{ headers: {} }, 'missing-signature'],
      [{ headers: { 'x-signature-256': '   ' } }, 'missing-signature'],
      [{ headers: { 'x-signature-256': hex(body) } }, 'bad-format'],
      [{ headers: { 'x-signature-256': 'sha256=xyz' } }, 'bad-format'],
      [{ headers: { 'x-signature-256': `sha256=${hex(`${body} `)}` } }, 'mismatch'],
      [{ headers: { 'x-signature-256': `sha256=${hex(body, 'wrong')}` } }, 'mismatch'],
    ] as const;
    for (const [input, reason] of cases) {
      const verdict = verifyWebhookSignature({ ...base, ...input });
      expect(verdict).toMatchObject({ ok: false, reason });
      const text = JSON.stringify(verdict);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hex(body));
    }
  });

  it('signs the timestamp with the body when a timestamp header is configured, within a tolerance', () => {
    const options = { secret, timestampHeader: 'x-signature-timestamp', now } as const;
    const headers = signWebhookBody({
      body,
      secret,
      timestamp: nowSeconds - 60,
      timestampHeader: 'x-signature-timestamp',
    });
    expect(headers['x-signature-256']).toBe(`sha256=${hex(`${nowSeconds - 60}.${body}`)}`);
    expect(verifyWebhookSignature({ ...options, body, headers })).toMatchObject({
      ok: true,
      timestamp: nowSeconds - 60,
    });

    const stale = signWebhookBody({
      body,
      secret,
      timestamp: nowSeconds - 301,
      timestampHeader: 'x-signature-timestamp',
    });
    expect(verifyWebhookSignature({ ...options, body, headers: stale })).toMatchObject({
      ok: false,
      reason: 'stale-timestamp',
    });
    const future = signWebhookBody({
      body,
      secret,
      timestamp: nowSeconds + 900,
      timestampHeader: 'x-signature-timestamp',
    });
    expect(verifyWebhookSignature({ ...options, body, headers: future })).toMatchObject({
      reason: 'stale-timestamp',
    });
    expect(
      verifyWebhookSignature({
        ...options,
        body,
        headers: { 'x-signature-256': headers['x-signature-256'] as string },
      }),
    ).toMatchObject({ reason: 'missing-timestamp' });
    expect(
      verifyWebhookSignature({ ...options, body, headers: { ...headers, 'x-signature-timestamp': 'noon' } }),
    ).toMatchObject({ reason: 'bad-timestamp' });
    // A replay with a fresh timestamp but the old signature does not verify: the time is signed.
    expect(
      verifyWebhookSignature({
        ...options,
        body,
        headers: { ...stale, 'x-signature-timestamp': String(nowSeconds) },
      }),
    ).toMatchObject({ reason: 'mismatch' });
  });

  it('verifies Stripe-style t=,v1= signatures', () => {
    const t = nowSeconds - 10;
    const header = `t=${t},v1=${hex('0'.repeat(10))},v1=${hex(`${t}.${body}`)}`;
    expect(
      verifyWebhookSignature({
        body,
        secret,
        scheme: 'stripe',
        now,
        headers: { 'stripe-signature': header },
      }),
    ).toEqual({
      ok: true,
      scheme: 'stripe',
      timestamp: t,
    });
    expect(
      verifyWebhookSignature({
        body,
        secret,
        scheme: 'stripe',
        now,
        headers: { 'stripe-signature': `v1=${hex(body)}` },
      }),
    ).toMatchObject({ reason: 'bad-format' });
    expect(
      verifyWebhookSignature({
        body,
        secret,
        scheme: 'stripe',
        now: now + 3_600_000,
        headers: { 'stripe-signature': header },
      }),
    ).toMatchObject({ reason: 'stale-timestamp' });
    const signed = signWebhookBody({ body, secret, scheme: 'stripe', timestamp: t });
    expect(verifyWebhookSignature({ body, secret, scheme: 'stripe', now, headers: signed }).ok).toBe(true);
  });

  it('verifies Slack-style v0= signatures over v0:timestamp:body', () => {
    const t = String(nowSeconds);
    const headers = { 'x-slack-signature': `v0=${hex(`v0:${t}:${body}`)}`, 'x-slack-request-timestamp': t };
    expect(verifyWebhookSignature({ body, secret, scheme: 'slack', now, headers })).toMatchObject({
      ok: true,
    });
    expect(
      verifyWebhookSignature({
        body,
        secret,
        scheme: 'slack',
        now,
        headers: { 'x-slack-signature': headers['x-slack-signature'] },
      }),
    ).toMatchObject({ reason: 'missing-timestamp' });
    expect(
      verifyWebhookSignature({
        body,
        secret,
        scheme: 'slack',
        now,
        headers: { ...headers, 'x-slack-signature': `sha256=${hex(body)}` },
      }),
    ).toMatchObject({ reason: 'bad-format' });
  });

  it('refuses everything when no secret is configured', () => {
    expect(
      verifyWebhookSignature({ body, secret: '', headers: { 'x-signature-256': `sha256=${hex(body, '')}` } }),
    ).toMatchObject({ ok: false, reason: 'mismatch' });
  });
});

describe('parseWebhookAlerts', () => {
  const mapping = {
    fields: {
      id: 'id',
      name: 'title',
      type: 'kind',
      severity: 'priority',
      user: 'actor.email',
      app: 'app.name',
      timestamp: 'time',
    },
    severityMap: { P1: 'critical', P2: 'high', warning: 'medium' },
    defaultType: 'siem',
  } as const;

  it('maps one object, with a severity map, seconds and ISO timestamps', () => {
    const result = parseWebhookAlerts(
      '{"id":"a-1","title":"Impossible travel","priority":"p1","actor":{"email":"bob@example.com"},"app":{"name":"Okta"},"time":1767225600}',
      mapping,
    );
    expect(result.errors).toEqual([]);
    expect(result.alerts).toEqual([
      {
        id: 'a-1',
        type: 'siem',
        name: 'Impossible travel',
        severity: 'critical',
        user: 'bob@example.com',
        app: 'Okta',
        timestamp: 1_767_225_600_000,
        raw: expect.objectContaining({ id: 'a-1' }),
      },
    ]);
    const iso = parseWebhookAlerts(
      { id: 7, title: 't', time: '2026-01-01T00:00:00Z', priority: 'high', kind: 'edr' },
      mapping,
    );
    expect(iso.alerts[0]).toMatchObject({
      id: '7',
      type: 'edr',
      severity: 'high',
      timestamp: 1_767_225_600_000,
    });
  });

  it('maps an array or a configured items path, and reports each bad item with its index and reason', () => {
    const body = {
      data: {
        alerts: [
          { id: 'ok', title: 'fine', time: 1767225600000, priority: 'warning' },
          { title: 'no id', time: 1 },
          { id: 'x', time: 1 },
          { id: 'y', title: 'no time' },
          'not an object',
          { id: 'z', title: 'bad time', time: 'tomorrow' },
          { id: 'w'.repeat(600), title: 'id too long', time: 1 },
        ],
      },
    };
    const result = parseWebhookAlerts(body, { ...mapping, itemsPath: 'data.alerts' });
    expect(result.total).toBe(7);
    expect(result.alerts.map((alert) => alert.id)).toEqual(['ok']);
    expect(result.alerts[0]?.severity).toBe('medium');
    expect(result.errors).toEqual([
      { index: 1, field: 'id', reason: 'no id at id' },
      { index: 2, field: 'name', reason: 'no name at title' },
      { index: 3, field: 'timestamp', reason: 'no timestamp at time' },
      { index: 4, reason: 'not a JSON object' },
      { index: 5, field: 'timestamp', reason: expect.any(String) },
      { index: 6, field: 'id', reason: expect.any(String) },
    ]);
    const array = parseWebhookAlerts(
      [
        { id: 'a', title: 'A', time: 1 },
        { id: 'b', title: 'B', time: 2 },
      ],
      mapping,
    );
    expect(array.alerts.map((alert) => alert.id)).toEqual(['a', 'b']);
  });

  it('keeps 64-bit ids exact and reads indexed paths', () => {
    const text = '{"events":[{"alert":{"ids":[9223372036854775807]},"name":"n","n":12345678901234567890}]}';
    const result = parseWebhookAlerts(
      text,
      { itemsPath: 'events', fields: { id: 'alert.ids[0]', name: 'name' } },
      { receivedAt: 5 },
    );
    expect(result.alerts[0]).toMatchObject({
      id: '9223372036854775807',
      timestamp: 5,
      type: 'webhook',
      severity: 'unknown',
    });
    expect(result.alerts[0]?.raw).toMatchObject({ n: '12345678901234567890' });
  });

  it('derives a stable id from the content when asked to', () => {
    const options = { fields: { id: 'missing', name: 'title' }, idFromContent: true };
    const one = parseWebhookAlerts({ title: 'x', b: 1, a: 2 }, options, { receivedAt: 1 });
    const two = parseWebhookAlerts({ a: 2, title: 'x', b: 1 }, options, { receivedAt: 99 });
    expect(one.alerts[0]?.id).toMatch(/^webhook:[0-9a-f]{40}$/);
    expect(one.alerts[0]?.id).toBe(two.alerts[0]?.id);
  });

  it('refuses a body that is not JSON or has no list at the items path', () => {
    expect(() => parseWebhookAlerts('{"id":', mapping)).toThrow(ValidationError);
    expect(() => parseWebhookAlerts({ data: {} }, { ...mapping, itemsPath: 'data.alerts' })).toThrow(
      /data\.alerts: expected a list/,
    );
    expect(() => parseWebhookAlerts([1, 2, 3], mapping, { maxItems: 2 })).toThrow(/more than the 2 allowed/);
  });
});

describe('alerts raised by other modules', () => {
  it('an indicator hit has a deterministic id: a repeat is the same alert', () => {
    const input = {
      indicator: {
        type: 'domain',
        value: 'bad.example',
        severity: 'high' as const,
        reputation: 8,
        sources: ['misp'],
      },
      event: {
        id: 'evt-1',
        source: 'netskope-logs',
        timestamp: now,
        user: 'alice@example.com',
        app: 'Slack',
        raw: { url: 'https://bad.example/x' },
      },
    };
    const alert = alertFromIndicatorHit(input);
    expect(alertInputSchema.safeParse(alert).success).toBe(true);
    expect(alert).toMatchObject({
      type: 'indicator-hit',
      subtype: 'domain',
      severity: 'high',
      user: 'alice@example.com',
      app: 'Slack',
      timestamp: now,
      raw: {
        indicator: { value: 'bad.example', reputation: 8 },
        event: { id: 'evt-1', url: 'https://bad.example/x' },
      },
    });
    expect(alertFromIndicatorHit(structuredClone(input)).id).toBe(alert.id);
    expect(alertFromIndicatorHit({ ...input, event: { ...input.event, id: 'evt-2' } }).id).not.toBe(alert.id);
    expect(
      alertFromIndicatorHit({ ...input, indicator: { ...input.indicator, value: 'other.example' } }).id,
    ).not.toBe(alert.id);
  });

  it('a risk threshold crossing has a deterministic id per crossing and a severity from the band', () => {
    const input = {
      entity: { id: 'u-1', type: 'user', keys: { email: 'bob@example.com' } },
      score: 230,
      previousScore: 610,
      threshold: 250,
      ruleId: 'critical-users',
      crossedAt: now,
    };
    const alert = alertFromRiskThreshold(input);
    expect(alertInputSchema.safeParse(alert).success).toBe(true);
    expect(alert).toMatchObject({
      type: 'risk-threshold',
      subtype: 'user',
      severity: 'critical',
      user: 'bob@example.com',
      timestamp: now,
      raw: { score: 230, previousScore: 610, threshold: 250, direction: 'below', ruleId: 'critical-users' },
    });
    expect(alert.name).toContain('went below 250');
    expect(alertFromRiskThreshold({ ...input }).id).toBe(alert.id);
    expect(alertFromRiskThreshold({ ...input, crossedAt: now + 1 }).id).not.toBe(alert.id);
    expect(alertFromRiskThreshold({ ...input, score: 600 }).severity).toBe('medium');
    expect(alertFromRiskThreshold({ ...input, band: 'High' }).severity).toBe('high');
    const device = alertFromRiskThreshold({
      ...input,
      entity: { id: 'd-9', type: 'device', name: 'LAPTOP-1' },
    });
    expect(device.user).toBeUndefined();
    expect(device.name).toContain('device LAPTOP-1');
  });
});
