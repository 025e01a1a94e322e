import type { ModuleFactory } from '@ce/core';
import { ThreatExchange, type ThreatExchangeOptions } from './threat-exchange.js';

/**
 * The threat exchange module for `createCloudExchange`. Its API is `exchange.modules.cte`.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [feedPlugin, netskopePlugin], modules: [threatExchange()] });
 * await exchange.start();
 * const report = await exchange.modules.cte.ingest('manual', 'hxxp://evil[.]example/payload\n203.0.113.7');
 * ```
 */
export function threatExchange(options: ThreatExchangeOptions = {}): ModuleFactory<'cte', ThreatExchange> {
  return {
    name: 'cte',
    create(host) {
      const engine = new ThreatExchange(host, options);
      return {
        name: 'cte',
        api: engine,
        start: () => engine.start(),
        stop: () => engine.stop(),
        onConfigurationChanged: (change) => engine.onConfigurationChanged(change),
      };
    },
  };
}
