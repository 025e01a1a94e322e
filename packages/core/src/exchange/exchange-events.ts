import type { ErrorCode } from '../errors/error-codes.js';

/** A plugin configuration changed. */
export interface PluginConfigChangedEvent {
  kind: 'added' | 'updated' | 'enabled' | 'disabled' | 'removed';
  configId: string;
  pluginId: string;
  actor: string;
  at: number;
}

/** A call into a plugin finished, successfully or not. */
export interface PluginCallFinishedEvent {
  configId: string;
  pluginId: string;
  /** What was called: `check`, `cte.pull`, ... */
  operation: string;
  outcome: 'succeeded' | 'failed';
  durationMs: number;
  error?: { code: ErrorCode; message: string; retryable: boolean };
}

/**
 * Events of the exchange itself. Module packages add theirs (`indicator-added`,
 * `ticket-created`, ...) by declaration merging on this interface.
 */
export interface CloudExchangeEvents {
  'plugin-config-changed': PluginConfigChangedEvent;
  'plugin-call-finished': PluginCallFinishedEvent;
  'exchange-started': { at: number };
  'exchange-stopped': { at: number };
  // Keeps the map assignable to EventMap while module packages extend it.
  [event: string]: unknown;
}
