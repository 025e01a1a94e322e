import { type Alert, createMemoryStorage, FakeClock, type TicketStatus } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetskopeConfig, netskopePlugin } from '../cte/netskope-plugin.js';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { createTenantLimiterRegistry } from '../tenant/tenant-limiter.js';
import { netskopeIncidentUpdatePath, planIncidentStatusUpdates } from './incident-update.js';
import { createNetskopeAlertSource, netskopeIncidentUpdateLimiters } from './netskope-alert-source.js';

const token = 'v2-token-incidents-987654';
const now = Date.parse('2026-01-02T00:00:00.000Z');
const fast = { rateLimit: { requestsPerSecond: 1_000, burst: 100 } };
const user = 'soc-bot@example.com';

function alert(id: string, type: string, raw: Record<string, unknown>): Alert {
  return { id, sourceConfigId: 'nsk-prod', type, name: id, severity: 'high', timestamp: now, raw };
}

const incident = (id: string, objectId: string, status = 'New') =>
  alert(id, 'incident', { _id: id, object_id: objectId, status, dlp_incident_id: '9223372036854775807' });

const servers: NetskopeMockServer[] = [];
const harnesses: PluginHarness<NetskopeConfig>[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
  for (const server of servers.splice(0)) await server.close();
});

async function tenant(objectIds: string[] = ['obj-1', 'obj-2']) {
  const server = await startNetskopeMockServer({
    token,
    requestsPerSecond: 1_000,
    now: () => now,
    incidents: objectIds.map((objectId) => ({ objectId })),
  });
  servers.push(server);
  return server;
}

function harness(
  server: NetskopeMockServer,
  cto: Record<string, unknown> = { incidentUpdate: { user } },
  apiToken = token,
) {
  const created = createPluginHarness(netskopePlugin, {
    config: { tenant: server.url, apiToken, requestsPerSecond: 50, cto },
    configId: 'nsk-prod',
    clock: new FakeClock(now),
    http: fast,
    keyValue: createMemoryStorage().keyValue,
  });
  harnesses.push(created);
  return created;
}

// The plugin's own source spaces incident updates 6 s apart in real time (10 a minute); the
// tests use one with fast limiters, apart from the test that checks the plugin's.
const fastSource = createNetskopeAlertSource({
  limiters: createTenantLimiterRegistry({ requestsPerSecond: 1_000 }),
  incidentUpdateLimiters: createTenantLimiterRegistry({ requestsPerSecond: 1_000 }),
});

function writeBack(
  h: PluginHarness<NetskopeConfig>,
  alerts: Alert[],
  status: TicketStatus,
  source: typeof fastSource = fastSource,
) {
  return h.run((context) =>
    source.writeBack!(context, { alerts, status, ticket: { id: 't-1', remoteId: 'SEC-1' } }),
  );
}

const updates = (server: NetskopeMockServer) =>
  server.requests.filter((request) => request.path === netskopeIncidentUpdatePath);

describe('planIncidentStatusUpdates', () => {
  it('updates DLP incidents only, each once, and says why it skips the others', () => {
    const plan = planIncidentStatusUpdates(
      [
        incident('i-1', 'obj-1'),
        alert('d-1', 'dlp', { object_id: 'file-object-id', dlp_incident_id: '1' }),
        alert('i-2', 'incident', { status: 'new' }),
        incident('i-3', 'obj-1'),
        incident('i-4', 'obj-2', 'In Progress'),
      ],
      'in_progress',
      { user },
    );
    expect(plan.items).toEqual([
      { object_id: 'obj-1', field: 'status', old_value: 'new', new_value: 'in_progress', user },
    ]);
    expect(plan.skipped).toEqual([
      { alertId: 'd-1', reason: expect.stringContaining('not a DLP incident') },
      { alertId: 'i-2', reason: 'the incident has no object_id' },
      { alertId: 'i-3', reason: 'incident obj-1 is already in this update' },
      { alertId: 'i-4', reason: 'incident obj-2 is already in_progress' },
    ]);
  });

  it('maps canonical statuses as Netskope does, with overrides', () => {
    const one = [incident('i-1', 'obj-1', 'new')];
    const target = (status: TicketStatus, statusMap = {}) =>
      planIncidentStatusUpdates(one, status, { user, statusMap }).items[0]?.new_value;
    expect(target('closed')).toBe('closed');
    expect(target('deleted')).toBe('closed');
    expect(target('on_hold')).toBeUndefined();
    expect(target('other')).toBeUndefined();
    expect(target('on_hold', { on_hold: 'in_progress' })).toBe('in_progress');
    expect(target('closed', { closed: null })).toBeUndefined();
    expect(planIncidentStatusUpdates(one, 'on_hold', { user }).skipped[0]?.reason).toBe(
      'ticket status on_hold has no Netskope incident status',
    );
    // Resolved (as the console shows it) reads as closed.
    expect(planIncidentStatusUpdates([incident('i', 'o', 'Resolved')], 'closed', { user }).items).toEqual([]);
  });
});

describe('Netskope incident status write-back (cto.source.writeBack)', () => {
  it('PATCHes /api/v2/incidents/update with the documented payload and remembers what it wrote', async () => {
    const server = await tenant();
    const h = harness(server);
    const alerts = [incident('i-1', 'obj-1'), alert('d-1', 'dlp', { _id: 'd-1' })];
    await writeBack(h, alerts, 'in_progress');
    expect(server.tenant.incident('obj-1')?.status).toBe('in_progress');
    const [request] = updates(server);
    expect(request?.method).toBe('PATCH');
    expect(request?.headers['netskope-api-token']).toBe(token);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      payload: [{ object_id: 'obj-1', field: 'status', old_value: 'new', new_value: 'in_progress', user }],
    });
    const skipped = h.logs.filter((log) => log.message === 'incident status not written back');
    expect(skipped).toEqual([
      expect.objectContaining({ fields: expect.objectContaining({ alertId: 'd-1', ticketId: 't-1' }) }),
    ]);

    // The next change says where the incident really was: the status written, not the pulled one.
    await writeBack(h, alerts, 'closed');
    expect(JSON.parse(updates(server)[1]?.body ?? '').payload[0]).toMatchObject({
      old_value: 'in_progress',
      new_value: 'closed',
    });
    expect(server.tenant.incident('obj-1')?.history.map((change) => change.new_value)).toEqual([
      'in_progress',
      'closed',
    ]);
    // Writing the same status again is harmless and costs no request.
    await writeBack(h, alerts, 'closed');
    await writeBack(h, alerts, 'on_hold');
    expect(updates(server)).toHaveLength(2);
  });

  it("is the netskope plugin's, within 10 requests a minute per tenant", async () => {
    const server = await tenant();
    await writeBack(harness(server), [incident('i-1', 'obj-1')], 'closed', netskopePlugin.cto!.source!);
    expect(server.tenant.incident('obj-1')?.status).toBe('closed');
    const limiter = netskopeIncidentUpdateLimiters.forTenant(server.url);
    expect(limiter.requestsPerSecond).toBeCloseTo(10 / 60);
    expect(limiter.granted).toBe(1);
  });

  it('writes nothing when write-back is not configured', async () => {
    const server = await tenant();
    await writeBack(harness(server, {}), [incident('i-1', 'obj-1')], 'closed');
    expect(updates(server)).toHaveLength(0);
    expect(server.tenant.incident('obj-1')?.status).toBe('new');
  });

  it('waits out a 429 with Retry-After and sends the update again', async () => {
    const server = await tenant();
    const h = harness(server);
    server.failNext(1, { status: 429, headers: { 'retry-after': '1' }, json: { err: 'Too many requests' } });
    await writeBack(h, [incident('i-1', 'obj-1')], 'closed');
    expect(updates(server)).toHaveLength(2);
    expect(server.tenant.incident('obj-1')?.status).toBe('closed');
  });

  it('fails with typed errors that never carry the token', async () => {
    const server = await tenant();
    const refused = harness(server, { incidentUpdate: { user } }, 'wrong-token-abcdef');
    const error = await writeBack(refused, [incident('i-1', 'obj-1')], 'closed').catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    expect(JSON.stringify(error)).not.toContain('wrong-token-abcdef');
    expect(String((error as Error).message)).not.toContain('wrong-token-abcdef');

    const h = harness(server);
    server.failNext(1, { status: 200, json: { result: [{ ok: 0, result: 'Failed to update incidents' }] } });
    await expect(writeBack(h, [incident('i-1', 'obj-1')], 'closed')).rejects.toMatchObject({
      code: 'HTTP_ERROR',
      retryable: true,
      message: expect.stringContaining('Failed to update incidents'),
    });
    server.failNext(1, { status: 400, json: { message: 'Invalid request' } });
    await expect(writeBack(h, [incident('i-1', 'obj-1')], 'closed')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('Invalid request'),
    });
  });

  it('sends batches of 10, within the endpoint limiter, and reports incidents the tenant did not know', async () => {
    const objectIds = Array.from({ length: 12 }, (_, i) => `obj-${i}`);
    const server = await tenant(objectIds.slice(0, 11));
    const h = harness(server);
    await writeBack(
      h,
      objectIds.map((objectId, i) => incident(`i-${i}`, objectId)),
      'closed',
    );
    expect(updates(server).map((request) => JSON.parse(request.body).payload.length)).toEqual([10, 2]);
    expect(server.tenant.incident('obj-10')?.status).toBe('closed');
    expect(h.logs.some((log) => log.message === 'the tenant updated fewer incidents than sent')).toBe(true);
  });
});

describe('mock tenant: PATCH /api/v2/incidents/update', () => {
  async function send(server: NetskopeMockServer, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${netskopeIncidentUpdatePath}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'netskope-api-token': token, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { message?: unknown } };
  }
  const item = { object_id: 'obj-1', field: 'status', old_value: 'new', new_value: 'closed', user };

  it('checks the token and every item, answering 400 with a message naming the field', async () => {
    const server = await tenant();
    expect(await send(server, { payload: [item] }, { 'netskope-api-token': 'nope' })).toMatchObject({
      status: 401,
    });
    const cases: Array<[unknown, RegExp]> = [
      [{}, /payload must be a non-empty array/],
      [{ payload: [] }, /payload must be a non-empty array/],
      [{ payload: ['x'] }, /payload\[0\] must be an object/],
      [{ payload: [{ ...item, object_id: '' }] }, /object_id is required/],
      [{ payload: [{ ...item, field: 'owner' }] }, /field must be one of/],
      [{ payload: [{ ...item, new_value: 'Resolved' }] }, /new_value is not a valid status/],
      [{ payload: [{ ...item, field: 'severity', new_value: 'urgent' }] }, /not a valid severity/],
      [{ payload: [item, { ...item, user: 'bob' }] }, /payload\[1\]\.user must be an email/],
    ];
    for (const [body, message] of cases) {
      const answer = await send(server, body);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(message);
    }
    expect(server.tenant.incident('obj-1')?.status).toBe('new');
    expect(server.tenant.incidentUpdates).toHaveLength(0);
  });

  it('updates status, severity and assignee and counts the incidents it knew', async () => {
    const server = await tenant();
    const answer = await send(server, {
      payload: [
        item,
        { ...item, field: 'severity', old_value: 'Medium', new_value: 'Critical' },
        { ...item, field: 'assignee', old_value: 'None', new_value: 'alice@example.com' },
        { ...item, object_id: 'unknown' },
      ],
    });
    expect(answer).toEqual({ status: 200, body: { result: [{ ok: 1, result: '3' }] } });
    expect(server.tenant.incident('obj-1')).toMatchObject({
      status: 'closed',
      severity: 'Critical',
      assignee: 'alice@example.com',
    });
  });

  it('learns incidents from events/incident records carrying an object_id', async () => {
    const server = await tenant([]);
    server.tenant.addEvents('incident', [
      { _id: 'e', object_id: 'obj-9', status: 'In Progress', timestamp: 1 },
    ]);
    expect(server.tenant.incident('obj-9')?.status).toBe('in_progress');
  });
});
