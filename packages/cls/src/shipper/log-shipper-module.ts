import type { ModuleFactory } from '@ce/core';
import { LogShipper } from './log-shipper.js';
import type { LogShipperOptions } from './shipper-options.js';
import './log-shipper-events.js';

/**
 * The log shipper module for `createCloudExchange`. Its API is `exchange.modules.cls`. Options are
 * validated when the exchange is created.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming every bad option.
 * @example
 * ```ts
 * const exchange = await createCloudExchange({
 *   storage, plugins: [netskope, syslogSink],
 *   modules: [logShipper({
 *     spool: { directory: '/var/lib/ce/spool' },
 *     routes: [{ id: 'alerts-to-siem', source: 'netskope-prod', streams: { kinds: ['alert'] },
 *       filter: 'severity in ["high", "critical"]', format: 'syslog', syslog: { facility: 'local0' },
 *       sinks: ['siem'] }],
 *   })],
 * });
 * await exchange.start();
 * exchange.modules.cls.status();
 * ```
 */
export function logShipper(options: LogShipperOptions): ModuleFactory<'cls', LogShipper> {
  return {
    name: 'cls',
    create(host) {
      const engine = new LogShipper(host, options);
      return {
        name: 'cls',
        api: engine,
        start: () => engine.start(),
        stop: () => engine.stop(),
        onConfigurationChanged: (change) => engine.onConfigurationChanged(change),
      };
    },
  };
}
