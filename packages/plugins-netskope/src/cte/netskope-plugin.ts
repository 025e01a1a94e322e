import { CeError, ConfigError } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import {
  createNetskopeAlertSource,
  netskopeAlertSourceSettingsSchema,
} from '../cto/netskope-alert-source.js';
import { netskopeAlertTypes, netskopeListLimits } from '../tenant/netskope-api.js';
import { createNetskopeTenantClient } from '../tenant/tenant-client.js';
import {
  netskopeBaseUrl,
  netskopeHttpSettings,
  netskopeTenantSettingsShape,
} from '../tenant/tenant-settings.js';
import type { PulledIndicatorType } from './alert-indicators.js';
import { pullAlerts } from './pull-alerts.js';
import { fileHashListActionParametersSchema, pushFileHashList } from './push-file-hash-list.js';
import { pushUrlList, urlListActionParametersSchema } from './push-url-list.js';

/** Settings of the Netskope plugin: the shared tenant settings plus the threat exchange's. */
export const netskopeConfigSchema = z.object({
  ...netskopeTenantSettingsShape,
  /** Alert types read as indicators. @default ['malsite', 'malware'] */
  alertTypes: z
    .array(z.enum(netskopeAlertTypes))
    .min(1)
    .default(['malsite', 'malware'])
    .describe('Alert types to read indicators from'),
  /** Indicator types taken from the alerts. @default ['url', 'md5', 'sha256'] */
  pullIndicatorTypes: z
    .array(z.enum(['url', 'md5', 'sha256', 'sha1']))
    .min(1)
    .default(['url', 'md5', 'sha256'])
    .describe('Indicator types to take from the alerts'),
  /** How far back the first pull starts, in days. @default 7 */
  initialRangeDays: z.number().int().min(0).max(365).default(7).describe('Days to read on the first pull'),
  /**
   * The data export iterator's index name. The tenant keeps one cursor per index, and two
   * consumers must never share one. @default `ce_sdk_<configuration id>`
   */
  iteratorIndex: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1 to 64 letters, digits, "_" and "-"')
    .optional()
    .describe('Data export iterator index name'),
  /** Most pages per alert type per pull; the next pull continues. @default 50 */
  maxPagesPerPull: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(50)
    .describe('Most pages per alert type per pull'),
  /** A `wait_time` longer than this ends the pull (the next one continues), in seconds. @default 10 */
  maxWaitSeconds: z
    .number()
    .int()
    .min(0)
    .max(3_600)
    .default(10)
    .describe('Longest wait_time honoured within a pull'),
  /**
   * The ticket orchestrator's part: alert (and DLP incident) types to pull, and the incident
   * status write-back. Pulls nothing until types are chosen. @default {}
   */
  cto: netskopeAlertSourceSettingsSchema
    .prefault({})
    .describe('Ticket orchestrator: alert types to pull and incident status write-back'),
});

/** The Netskope plugin's configuration type. */
export type NetskopeConfig = z.output<typeof netskopeConfigSchema>;

/** The iterator index a configuration uses. */
export function netskopeIteratorIndex(config: NetskopeConfig, configId: string): string {
  return config.iteratorIndex ?? `ce_sdk_${configId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/**
 * The Netskope plugin: the threat exchange part, and the ticket orchestrator's alert source.
 *
 * - Source (`incremental`): malsite and malware alerts from the REST API v2 data export iterator,
 *   as URL and file hash indicators, one batch per page with a resumable checkpoint.
 * - Destination (`replace`): action `url-list` makes a URL list (exact or regex) hold exactly the
 *   shared URLs, domains, host names and IPv4 addresses, within 300,000 entries and 7 MB, then
 *   deploys once; action `file-hash-list` makes an existing file hash list hold exactly the shared
 *   MD5 and SHA-256 hashes (REST API v1, so it needs `v1Token`).
 * - Ticket orchestrator source (`cto.source`, settings under `cto`): the chosen alert types and
 *   DLP incidents as alerts, with ticket statuses written back to the incidents (see
 *   `createNetskopeAlertSource`).
 *
 * @example
 * ```ts
 * await exchange.configurations.add({
 *   id: 'netskope-prod',
 *   pluginId: 'netskope',
 *   config: { tenant: 'acme', apiToken: { $secret: 'netskope-v2' } },
 * });
 * ```
 */
export const netskopePlugin = definePlugin({
  id: 'netskope',
  name: 'Netskope',
  version: '0.1.0',
  description:
    'Shares indicators to Netskope URL lists and file hash lists, reads malsite and malware alerts as indicators, and pulls alerts and DLP incidents for tickets, writing ticket statuses back to the incidents.',
  modules: ['cte', 'cto'],
  configSchema: netskopeConfigSchema,
  capabilities: {
    check: true,
    'cte.pull': true,
    'cte.push': true,
    'cto.source': true,
    'cto.writeBack': true,
  },
  http: (config) => netskopeHttpSettings(config),
  async check(context) {
    const tenant = createNetskopeTenantClient(context);
    const lists = await tenant.listUrlLists({ fields: ['id', 'name'] });
    return {
      ok: true,
      message: `connected to ${netskopeBaseUrl(context.config.tenant)} (${lists.length} URL lists)`,
    };
  },
  cto: { source: createNetskopeAlertSource() },
  cte: {
    source: {
      mode: 'incremental',
      pull(context, checkpoint) {
        const { config } = context;
        return pullAlerts(createNetskopeTenantClient(context), context, checkpoint, {
          index: netskopeIteratorIndex(config, context.configId),
          alertTypes: config.alertTypes,
          indicatorTypes: new Set<PulledIndicatorType>(config.pullIndicatorTypes),
          initialRangeDays: config.initialRangeDays,
          maxPagesPerPull: config.maxPagesPerPull,
          maxWaitSeconds: config.maxWaitSeconds,
        });
      },
    },
    destination: {
      mode: 'replace',
      limits: { maxBatchCount: netskopeListLimits.maxEntries, maxTotal: netskopeListLimits.maxEntries },
      getActions: () => [
        {
          id: 'url-list',
          label: 'Replace a URL list',
          description:
            'Makes a URL list (Policies > Profiles > URL Lists) hold exactly the shared indicators, then deploys pending URL list changes.',
          parameters: urlListActionParametersSchema,
          indicatorTypes: ['url', 'domain', 'hostname', 'ipv4'],
        },
        {
          id: 'file-hash-list',
          label: 'Replace a file hash list',
          description:
            'Makes an existing file hash list (Policies > Profiles > File) hold exactly the shared MD5 and SHA-256 hashes. Needs a REST API v1 token.',
          parameters: fileHashListActionParametersSchema,
          indicatorTypes: ['md5', 'sha256'],
        },
      ],
      async push(context, indicators, action) {
        const tenant = createNetskopeTenantClient(context);
        if (action.id === 'url-list') {
          const parsed = urlListActionParametersSchema.safeParse(action.parameters);
          if (!parsed.success) throw ConfigError.fromZod('invalid url-list action parameters', parsed.error);
          return pushUrlList(tenant, indicators, parsed.data, {}, context.logger);
        }
        if (action.id === 'file-hash-list') {
          const parsed = fileHashListActionParametersSchema.safeParse(action.parameters);
          if (!parsed.success)
            throw ConfigError.fromZod('invalid file-hash-list action parameters', parsed.error);
          return pushFileHashList(
            tenant,
            indicators,
            parsed.data,
            context.config.v1Token,
            {},
            context.logger,
          );
        }
        throw new CeError('CONFIG_INVALID', `unknown Netskope action "${action.id}"`);
      },
    },
  },
});
