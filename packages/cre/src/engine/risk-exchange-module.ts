import type { ModuleFactory } from '@ce/core';
import { RiskExchange, type RiskExchangeOptions } from './risk-exchange.js';

/**
 * The risk exchange module for `createCloudExchange`. Its API is `exchange.modules.cre`.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [knowBe4Plugin], modules: [riskExchange()] });
 * await exchange.start();
 * const users = await exchange.modules.cre.queryEntities({ type: 'user', bands: ['critical'] });
 * ```
 */
export function riskExchange(options: RiskExchangeOptions = {}): ModuleFactory<'cre', RiskExchange> {
  return {
    name: 'cre',
    create(host) {
      const engine = new RiskExchange(host, options);
      return {
        name: 'cre',
        api: engine,
        start: () => engine.start(),
        stop: () => engine.stop(),
        onConfigurationChanged: (change) => engine.onConfigurationChanged(change),
      };
    },
  };
}
