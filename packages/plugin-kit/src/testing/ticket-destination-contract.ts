import {
  type Alert,
  type AnyPluginDefinition,
  CeError,
  type RemoteTicket,
  type Severity,
  severityLevels,
  type TicketCreateRequest,
  type TicketDestinationCapability,
  type TicketTarget,
  ticketStatuses,
  toCeError,
} from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginHarness, type PluginHarness, type PluginHarnessOptions } from '../plugin-harness.js';

/** What the ticket destination contract needs for each test: a configuration pointing at a fresh mock. */
export interface TicketDestinationContractSetup {
  /** The plugin's configuration for this test. */
  config: Record<string, unknown>;
  /** Where the suite creates its tickets (a project and issue type, a table, a channel). */
  target: TicketTarget;
  /**
   * Fields to create with. By default the suite fills every field of the plugin's default mapping
   * with text carrying a marker; a destination that checks values (a priority that must exist)
   * gives valid ones here, with the marker `{marker}` where text is free.
   */
  fields?: Record<string, unknown>;
  /**
   * Makes the next request to the destination answer `status` (with `Retry-After` when given).
   * Used to check that refusals are typed and that retries never make a second ticket.
   */
  failNext?(status: number, retryAfterSeconds?: number): void;
  /** Removes a remote ticket out of band, as a person deleting it would; sync must then say it is gone. */
  deleteRemote?(remoteId: string): Promise<void>;
  /** Everything the destination holds for a ticket as text (fields, body, comments), or undefined. */
  read?(remoteId: string): Promise<{ text: string } | undefined>;
  /** How many remote tickets carry the idempotency key: never more than one. */
  count?(idempotencyKey: string): Promise<number>;
  /** Secret values of the configuration, which must never appear in an error or a log. */
  secrets?: ReadonlyArray<string>;
  /** Stops the mock. */
  teardown?: () => Promise<void>;
}

/** Options of {@link runTicketDestinationContract}. */
export interface TicketDestinationContractOptions {
  /** Starts a fresh destination for each test and returns the configuration for it. */
  setup: () => Promise<TicketDestinationContractSetup>;
  /** Harness settings (a clock, HTTP overrides) merged into each test's harness. */
  harness?: Omit<PluginHarnessOptions<unknown>, 'config'>;
}

let sequence = 0;

function contractAlert(marker: string, index = 0): Alert {
  return {
    id: `${marker}-alert-${index}`,
    sourceConfigId: 'contract-source',
    type: 'dlp',
    subtype: 'contract',
    name: `Contract alert ${marker}`,
    severity: 'high',
    user: 'alice@contract-test.example',
    app: 'Contract App',
    timestamp: Date.parse('2026-01-01T00:00:00.000Z') + index,
    raw: { policy: `contract-policy-${marker}`, count: index },
  };
}

function fillMarker(value: unknown, marker: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{marker}', marker);
  if (Array.isArray(value)) return value.map((item) => fillMarker(item, marker));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillMarker(item, marker)]));
  return value;
}

/**
 * The ticket orchestrator contract for destination plugins. It checks that the capability is
 * declared sanely (kind, default mapping of templates, status and severity maps onto canonical
 * values, target fields, limits); that `create` returns a remote id and, where the destination can
 * be read, that the content arrived; that `find` finds a ticket by its idempotency key and nothing
 * for an unknown key; that a comment arrives; that `sync` reports an existing ticket with a status
 * the default map knows, a resolved one as closed, and a deleted one as gone; that refusals (400)
 * are typed, not retryable and never leak a secret; and that a rate-limited or failing create
 * either succeeds or fails retryably, and never leaves two remote tickets for one key.
 *
 * Call it inside a test file; it defines its own `describe` block.
 *
 * @example
 * ```ts
 * runTicketDestinationContract(acmeTicketsPlugin, {
 *   setup: async () => {
 *     const mock = await startAcmeMock();
 *     return {
 *       config: { url: mock.url, token: 'token-123456' },
 *       target: { project: 'SEC' },
 *       failNext: (status, retryAfter) => mock.failNext(status, retryAfter),
 *       read: async (id) => mock.ticketText(id),
 *       teardown: () => mock.close(),
 *     };
 *   },
 * });
 * ```
 */
export function runTicketDestinationContract(
  plugin: AnyPluginDefinition,
  options: TicketDestinationContractOptions,
): void {
  describe(`ticket destination contract: ${plugin.id}`, () => {
    let current: { setup: TicketDestinationContractSetup; harness: PluginHarness<unknown> } | undefined;

    beforeEach(async () => {
      const started = await options.setup();
      current = {
        setup: started,
        harness: createPluginHarness(plugin, { ...options.harness, config: started.config }),
      };
    });
    afterEach(async () => {
      await current?.harness.close();
      await current?.setup.teardown?.();
      current = undefined;
    });

    const setup = (): TicketDestinationContractSetup => {
      if (!current) throw new Error('setup did not run');
      return current.setup;
    };
    const harness = (): PluginHarness<unknown> => {
      if (!current) throw new Error('setup did not run');
      return current.harness;
    };
    const destination = (): TicketDestinationCapability<unknown> => {
      const capability = plugin.cto?.destination;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cto.destination capability`);
      return capability;
    };
    const request = (marker: string, severity: Severity = 'high'): TicketCreateRequest => {
      const config = harness().context.config;
      const fields =
        setup().fields !== undefined
          ? (fillMarker(setup().fields, marker) as Record<string, unknown>)
          : Object.fromEntries(
              Object.keys(destination().defaultMapping(config)).map((field) => [
                field,
                `contract ${field} ${marker}`,
              ]),
            );
      return {
        ticketId: `ticket-${marker}`,
        idempotencyKey: `key-${marker}`,
        target: setup().target,
        fields,
        severity,
        alerts: [contractAlert(marker)],
        alertCount: 1,
      };
    };
    const create = (marker: string): Promise<RemoteTicket> =>
      harness().run((context) => destination().create(context, request(marker)));
    const marker = (): string => `m${Date.now().toString(36)}x${++sequence}`;
    const noSecretIn = (text: string): void => {
      for (const secret of setup().secrets ?? []) expect(text).not.toContain(secret);
    };

    it('declares the module, a kind, a default mapping of templates and canonical maps', () => {
      expect(plugin.modules).toContain('cto');
      const config = harness().context.config;
      expect(['ticket', 'notification']).toContain(destination().kind);
      const mapping = destination().defaultMapping(config);
      expect(Object.keys(mapping).length).toBeGreaterThan(0);
      for (const template of Object.values(mapping)) expect(typeof template).toBe('string');
      for (const status of Object.values(destination().defaultStatusMap?.(config) ?? {}))
        expect(ticketStatuses).toContain(status);
      for (const [severity, value] of Object.entries(destination().defaultSeverityMap?.(config) ?? {})) {
        expect(severityLevels).toContain(severity);
        expect(typeof value).toBe('string');
      }
      for (const field of destination().targetFields ?? []) expect(setup().target).toHaveProperty(field);
      const limits = destination().limits?.(config);
      if (limits?.requestsPerSecond !== undefined) expect(limits.requestsPerSecond).toBeGreaterThan(0);
      if (limits?.maxSyncBatch !== undefined) expect(limits.maxSyncBatch).toBeGreaterThanOrEqual(1);
      if (destination().kind === 'ticket')
        expect(destination().sync, 'a ticket destination syncs').toBeTypeOf('function');
    });

    it('creates a ticket and returns its remote id; the content arrives', async () => {
      const mark = marker();
      const ticket = await create(mark);
      expect(typeof ticket.remoteId).toBe('string');
      expect(ticket.remoteId.length).toBeGreaterThan(0);
      if (ticket.link !== undefined) expect(() => new URL(ticket.link as string)).not.toThrow();
      const read = setup().read;
      if (read) expect((await read(ticket.remoteId))?.text).toContain(mark);
      const count = setup().count;
      if (count) expect(await count(`key-${mark}`)).toBe(1);
    });

    it('finds a ticket by its idempotency key, and nothing for an unknown key', async () => {
      const find = destination().find;
      if (!find) return;
      const mark = marker();
      const ticket = await create(mark);
      const found = await harness().run((context) =>
        find(context, { target: setup().target, idempotencyKey: `key-${mark}` }),
      );
      expect(found?.remoteId).toBe(ticket.remoteId);
      const missing = await harness().run((context) =>
        find(context, { target: setup().target, idempotencyKey: `key-${marker()}-never-created` }),
      );
      expect(missing).toBeUndefined();
    });

    it('adds a comment that arrives', async () => {
      const update = destination().update;
      if (!update) return;
      const mark = marker();
      const ticket = await create(mark);
      const comment = `contract comment ${mark}-second`;
      await harness().run((context) =>
        update(context, {
          ticketId: `ticket-${mark}`,
          idempotencyKey: `key-${mark}`,
          target: setup().target,
          remoteId: ticket.remoteId,
          kind: 'comment',
          comment,
          severity: 'high',
          dedupeCount: 1,
          alerts: [contractAlert(mark, 1)],
        }),
      );
      const read = setup().read;
      if (read) expect((await read(ticket.remoteId))?.text).toContain(`${mark}-second`);
    });

    it('syncs an open ticket to a known status, a resolved one to closed, a deleted one to gone', async () => {
      const sync = destination().sync;
      if (!sync) return;
      const config = harness().context.config;
      const statusMap = destination().defaultStatusMap?.(config);
      const ticket = await create(marker());
      const item = { remoteId: ticket.remoteId, target: setup().target };
      const [open] = await harness().run((context) => sync(context, { tickets: [item] }));
      expect(open).toMatchObject({ remoteId: ticket.remoteId, exists: true });
      if (open?.exists && statusMap) expect(statusMap[open.remoteStatus], open.remoteStatus).toBeDefined();
      const resolve = destination().resolve;
      if (resolve) {
        await harness().run((context) =>
          resolve(context, {
            ticketId: 'contract',
            idempotencyKey: 'contract',
            target: setup().target,
            remoteId: ticket.remoteId,
            comment: 'resolved by the contract suite',
          }),
        );
        const [closed] = await harness().run((context) => sync(context, { tickets: [item] }));
        expect(closed?.exists).toBe(true);
        if (closed?.exists && statusMap) expect(statusMap[closed.remoteStatus]).toBe('closed');
      }
      const deleteRemote = setup().deleteRemote;
      if (deleteRemote) {
        await deleteRemote(ticket.remoteId);
        const [gone] = await harness().run((context) => sync(context, { tickets: [item] }));
        expect(gone).toEqual({ remoteId: ticket.remoteId, exists: false });
      }
    });

    it('answers one result per ticket when syncing a batch', async () => {
      const sync = destination().sync;
      if (!sync) return;
      const size = Math.min(5, destination().limits?.(harness().context.config).maxSyncBatch ?? 5);
      const tickets: RemoteTicket[] = [];
      for (let index = 0; index < size; index++) tickets.push(await create(marker()));
      const results = await harness().run((context) =>
        sync(context, {
          tickets: tickets.map((ticket) => ({ remoteId: ticket.remoteId, target: setup().target })),
        }),
      );
      expect(results.map((result) => result.remoteId).sort()).toEqual(
        tickets.map((ticket) => ticket.remoteId).sort(),
      );
    });

    it('fails a refused create with a typed error that is not retryable and holds no secret', async () => {
      const failNext = setup().failNext;
      if (!failNext) return;
      failNext(400);
      const error = await create(marker()).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(CeError.isInstance(error), 'a 400 must fail the create with a CeError').toBe(true);
      const typed = toCeError(error);
      expect(typed.retryable).toBe(false);
      noSecretIn(`${typed.message} ${JSON.stringify(typed.toJSON())}`);
      noSecretIn(JSON.stringify(harness().logs));
    });

    it('never leaves two remote tickets for one key when a create is rate limited or fails', async () => {
      const failNext = setup().failNext;
      if (!failNext) return;
      for (const [status, retryAfter] of [
        [429, 1],
        [503, undefined],
      ] as const) {
        const mark = marker();
        failNext(status, retryAfter);
        const outcome = await create(mark).then(
          (ticket) => ({ ticket }),
          (thrown: unknown) => ({ error: toCeError(thrown) }),
        );
        // Either the client waited and the create went through, or it failed retryably.
        if ('error' in outcome) expect(outcome.error.retryable, `${status}`).toBe(true);
        else expect(outcome.ticket.remoteId.length).toBeGreaterThan(0);
        const count = setup().count;
        if (count) expect(await count(`key-${mark}`)).toBeLessThanOrEqual(1);
        noSecretIn(JSON.stringify(harness().logs));
      }
    });
  });
}
