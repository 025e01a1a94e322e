/**
 * The reference host: runs Cloud Exchange as a service on embedded SQLite storage, with health,
 * Prometheus metrics, a REST API for plugin configurations and the threat exchange (indicators,
 * sharing rules, lists, warninglists), and an offline demo.
 *
 * @module @ce/reference-host
 */

export type { ApplyOptions, ApplyResult } from './apply-configurations.js';
export { applyPluginConfigurations } from './apply-configurations.js';
export type {
  ApplyThreatSettingsOptions,
  ThreatApplyResult,
  ThreatSettings,
} from './apply-threat-settings.js';
export { applyThreatSettings } from './apply-threat-settings.js';
export type {
  ApiToken,
  ConfigFormat,
  Environment,
  HostConfig,
  HostConfigFile,
  HostPluginConfig,
  HostStorageConfig,
  ResolveHostConfigOptions,
} from './config.js';
export {
  hostConfigFileSchema,
  loadHostConfig,
  parseConfigText,
  resolveHostConfig,
  substituteEnvironment,
} from './config.js';
export type { DemoHostConfigOptions, DemoServices } from './demo/demo.js';
export { demoConfigurationId, demoHostConfig, startDemoServices } from './demo/demo.js';
export type { ShareOnIngest, ThreatDemoOptions, ThreatDemoServices } from './demo/threat-demo.js';
export {
  freshenFeedDates,
  shareOnIngest,
  startThreatDemo,
  threatDemoIds,
  threatDemoUrlLists,
} from './demo/threat-demo.js';
export type { HostMetrics, HostMetricsOptions } from './metrics.js';
export { createHostMetrics, escapeLabelValue, prometheusContentType } from './metrics.js';
export type { ReferenceHost, ReferenceHostOptions } from './reference-host.js';
export { defaultHostPlugins, startReferenceHost } from './reference-host.js';
export { loadOrCreateSecretKey, secretKeyFileName } from './secret-key.js';
export type { ApiErrorBody, ApiErrorCode, RequestHandler, RequestHandlerOptions } from './server.js';
export { createRequestHandler } from './server.js';
export type {
  HostCteConfig,
  HostIndicatorList,
  HostSharingRule,
  HostSourcePolicy,
} from './threat-config.js';
export {
  cteSectionSchema,
  listsSectionSchema,
  sharingRulesSectionSchema,
  sourcePoliciesSectionSchema,
} from './threat-config.js';
