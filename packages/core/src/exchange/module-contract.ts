import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging/logger.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { StorageAdapter } from '../storage/storage-adapter.js';
import type { Clock } from '../time/clock.js';
import type { CloudExchangeEvents } from './exchange-events.js';
import type { PluginRuntime } from './plugin-runtime.js';

/**
 * What the exchange hands a module when it creates it: shared storage, scheduler, logger, clock,
 * event bus and the plugin runtime through which every plugin call goes.
 */
export interface ModuleHost {
  readonly storage: StorageAdapter;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly events: EventBus<CloudExchangeEvents>;
  readonly plugins: PluginRuntime;
}

/** A running module: its public API and its lifecycle hooks. */
export interface ExchangeModule<Name extends string = string, Api = unknown> {
  readonly name: Name;
  /** What `exchange.modules[name]` returns. */
  readonly api: Api;
  /** Schedules the module's work. Called by `exchange.start()`. */
  start?(): Promise<void>;
  /** Stops the module's work; the scheduler drains its tasks afterwards. */
  stop?(): Promise<void>;
  /** Told when a plugin configuration was added, updated, enabled, disabled or removed. */
  onConfigurationChanged?(change: ConfigurationChange): Promise<void> | void;
}

/** A change to a plugin configuration, as modules are told of it. */
export interface ConfigurationChange {
  kind: 'added' | 'updated' | 'enabled' | 'disabled' | 'removed';
  configId: string;
  pluginId: string;
}

/**
 * Creates a module for an exchange. Module packages export one factory function each
 * (`threatExchange()`, `ticketOrchestrator()`, `riskExchange()`, `logShipper()`).
 */
export interface ModuleFactory<Name extends string = string, Api = unknown> {
  readonly name: Name;
  create(host: ModuleHost): ExchangeModule<Name, Api> | Promise<ExchangeModule<Name, Api>>;
}

/** The API type of a module factory. */
export type ModuleApi<Factory> = Factory extends ModuleFactory<string, infer Api> ? Api : never;

/** Maps a tuple of module factories to `{ [name]: api }`. */
export type ModuleApis<Factories extends ReadonlyArray<ModuleFactory>> = {
  [Factory in Factories[number] as Factory['name']]: ModuleApi<Factory>;
};
