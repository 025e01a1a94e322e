import { createMemoryLogger } from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHostConfig } from '../config.js';
import { type ReferenceHost, startReferenceHost } from '../reference-host.js';

const hosts: ReferenceHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

async function start(): Promise<ReferenceHost> {
  const config = resolveHostConfig({ port: 0, storage: { kind: 'memory' } }, { env: {} });
  const host = await startReferenceHost({
    config,
    logger: createMemoryLogger({ level: 'error' }),
    checkIntervalMs: 0,
  });
  hosts.push(host);
  return host;
}

async function call(host: ReferenceHost, method: string, path: string, body?: unknown) {
  const response = await fetch(`${host.url}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

describe('ticket orchestrator API', () => {
  it('manages queues, rules and silences, takes alerts, explains them and lists what was done', async () => {
    const host = await start();
    expect(
      (
        await call(host, 'PUT', '/api/v1/cto/queues/soc', {
          destinationConfigId: 'jira-prod',
          target: { project: 'SEC' },
        })
      ).status,
    ).toBe(200);
    const refused = await call(host, 'PUT', '/api/v1/cto/rules/dlp', {
      condition: 'type = "dlp"',
      queueId: 'missing',
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('queueId');
    expect(
      (await call(host, 'PUT', '/api/v1/cto/rules/dlp', { condition: 'type = "dlp"', queueId: 'soc' }))
        .status,
    ).toBe(200);
    expect(
      (
        await call(host, 'PUT', '/api/v1/cto/rules/first', {
          condition: 'severity = "critical"',
          queueId: 'soc',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(host, 'PUT', '/api/v1/cto/rules/top?position=0', {
          condition: 'user = "ceo@example.com"',
          queueId: 'soc',
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(host, 'GET', '/api/v1/cto/rules')).json.items.map((rule: { id: string }) => rule.id),
    ).toEqual(['top', 'dlp', 'first']);
    const silence = await call(host, 'PUT', '/api/v1/cto/silences/test-user', {
      matchers: [{ field: 'user', op: '=', value: 'test@example.com' }],
      startsAt: Date.now() - 1_000,
      endsAt: Date.now() + 3_600_000,
      createdBy: 'soc-lead',
    });
    expect(silence.status).toBe(200);

    const alert = {
      id: 'a-1',
      type: 'dlp',
      name: 'PCI upload',
      severity: 'high',
      user: 'alice@example.com',
      timestamp: Date.now(),
    };
    const explained = await call(host, 'POST', '/api/v1/cto/alerts/explain', { alert });
    // The queue's destination is not configured, so explain says the alert would fail, and why.
    expect(explained.json).toMatchObject({ ruleId: 'dlp', queueId: 'soc', outcome: 'failed' });
    expect(JSON.stringify(explained.json)).toContain('jira-prod');
    const submitted = await call(host, 'POST', '/api/v1/cto/alerts', {
      alerts: [
        alert,
        { ...alert, id: 'a-2', user: 'test@example.com' },
        { ...alert, id: 'a-3', type: 'malware' },
        { name: 'no id' },
      ],
    });
    expect(submitted.status).toBe(200);
    // The queue's destination is not configured: the alert is kept as failed, with the reason.
    expect(submitted.json).toMatchObject({
      received: 4,
      failed: 1,
      muted: 1,
      unrouted: 1,
      rejected: [{ index: 3 }],
    });
    const failed = await call(host, 'GET', '/api/v1/cto/alerts?disposition=failed');
    expect(failed.json.items).toEqual([
      expect.objectContaining({
        id: 'a-1',
        disposition: expect.objectContaining({
          kind: 'failed',
          reason: expect.stringContaining('jira-prod'),
        }),
      }),
    ]);
    expect((await call(host, 'GET', '/api/v1/cto/tickets?status=new,failed&limit=10')).json).toEqual({
      items: [],
    });
    expect((await call(host, 'GET', '/api/v1/cto/tickets?status=bogus')).status).toBe(400);
    expect((await call(host, 'GET', '/api/v1/cto/tickets/nope')).status).toBe(404);
    expect((await call(host, 'DELETE', '/api/v1/cto/queues/soc')).status).toBe(409);
    expect((await call(host, 'POST', '/api/v1/cto/silences/test-user/expire')).json).toMatchObject({
      id: 'test-user',
    });
    expect((await call(host, 'DELETE', '/api/v1/cto/rules/nope')).status).toBe(404);
  });
});
