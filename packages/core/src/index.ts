/**
 * The shared kernel of Cloud Exchange: domain schemas, typed errors, logging with redaction,
 * clocks, the event bus, the plugin HTTP client, the rule engine, the plugin contract, the
 * scheduler, storage interfaces and the composition root.
 *
 * @module @ce/core
 */

export type { CeErrorOptions } from './errors/ce-error.js';
// Errors
export { CeError } from './errors/ce-error.js';
export type { ErrorCode, FailureKind } from './errors/error-codes.js';
export { errorCodes } from './errors/error-codes.js';
export type { HttpErrorInit } from './errors/http-error.js';
export { HttpError, isRetryableStatus } from './errors/http-error.js';
export { toCeError } from './errors/to-ce-error.js';
export type { FieldIssue } from './errors/validation-error.js';
export {
  ConfigError,
  formatPath,
  issuesFromZod,
  PluginConfigError,
  ValidationError,
} from './errors/validation-error.js';
export type { EventBus, EventBusOptions, EventMap } from './events/event-bus.js';
export { createEventBus } from './events/event-bus.js';
export { configuredCapability } from './exchange/configured-capability.js';
export type {
  CloudExchange,
  CloudExchangeHealth,
  CloudExchangeOptions,
} from './exchange/create-cloud-exchange.js';
export { createCloudExchange } from './exchange/create-cloud-exchange.js';
export type {
  CloudExchangeEvents,
  PluginCallFinishedEvent,
  PluginConfigChangedEvent,
} from './exchange/exchange-events.js';
export type {
  ConfigurationChange,
  ExchangeModule,
  ModuleApi,
  ModuleApis,
  ModuleFactory,
  ModuleHost,
} from './exchange/module-contract.js';
export type {
  ChangeOptions,
  PluginConfigInput,
  PluginConfigPatch,
  PluginConfigurationsDependencies,
  PluginConfigValidation,
  PluginConfigView,
  SecretReference,
} from './exchange/plugin-configurations.js';
export { PluginConfigurations, pluginConfigInputSchema } from './exchange/plugin-configurations.js';
export type { InvokeOptions, PluginRuntime, PluginRuntimeDependencies } from './exchange/plugin-runtime.js';
export { DefaultPluginRuntime } from './exchange/plugin-runtime.js';
// HTTP client
export type {
  HttpClient,
  HttpClientOptions,
  HttpRequestInit,
  HttpRequestOptions,
  HttpResponse,
  HttpResponseType,
  QueryValue,
  ResponseBodyOf,
  UserAgentParts,
} from './http/http-client.js';
export { buildUserAgent, createHttpClient, httpClientSettingsSchema } from './http/http-client.js';
export type { NetworkFailure, ResolvedRetryOptions, RetryOptions } from './http/retry.js';
export {
  classifyNetworkError,
  computeBackoff,
  defaultRetryOptions,
  isIdempotentMethod,
} from './http/retry.js';
export { parseRetryAfter } from './http/retry-after.js';
export type { TokenBucketOptions } from './http/token-bucket.js';
export { TokenBucket } from './http/token-bucket.js';
export { sdkVersion } from './http/version.js';
export type {
  JsonLoggerOptions,
  LogFields,
  Logger,
  LogLevel,
  LogRecord,
  LogSink,
  MemoryLogger,
} from './logging/logger.js';
// Logging and redaction
export { createJsonLogger, createMemoryLogger, createNoopLogger, logLevelRank } from './logging/logger.js';
export {
  isSecretKey,
  redactedMarker,
  redactText,
  redactUrl,
  redactValue,
  registerSecretValue,
} from './logging/redact.js';
// Log shipper capabilities
export type {
  EventRecord,
  LogBatch,
  LogCheckpoint,
  LogDelivery,
  LogDeliveryResult,
  LogFetchRequest,
  LogFormat,
  LogPage,
  LogRejection,
  LogShipperCapabilities,
  LogSinkCapability,
  LogSinkLimits,
  LogSinkSession,
  LogSourceCapability,
  LogStream,
} from './logs/log-capabilities.js';
export {
  configJsonSchema,
  findSecretPaths,
  getAtPath,
  setAtPath,
  validateConfig,
} from './plugin/config-schema.js';
export type { PluginContext, PluginStateStore } from './plugin/plugin-context.js';
export { createPluginStateStore } from './plugin/plugin-context.js';
export type {
  AnyPluginDefinition,
  ConfigValidationResult,
  PluginCapabilityFlags,
  PluginCheckResult,
  PluginDefinition,
  PluginDefinitionBase,
  PluginModuleCapabilities,
} from './plugin/plugin-definition.js';
export {
  checkPluginMetadata,
  isZodSchema,
  pluginSpecVersion,
  secretMetaKey,
  secretString,
} from './plugin/plugin-definition.js';
export type { PluginManifest } from './plugin/plugin-registry.js';
export { PluginRegistry } from './plugin/plugin-registry.js';
// Risk exchange: model, store interface, plugin capabilities
export type {
  RiskActionCapability,
  RiskActionDescriptor,
  RiskActionItem,
  RiskActionResult,
  RiskExchangeCapabilities,
  RiskPage,
  RiskPullRequest,
  RiskSourceCapability,
} from './risk/risk-capabilities.js';
export type {
  EntityType,
  NormalizedScore,
  RiskActionKind,
  RiskActionLogEntry,
  RiskDailyRollup,
  RiskEntity,
  RiskNormalizationSpec,
  RiskNormalizationStrategy,
  RiskObservationInput,
  RiskRuleState,
  RiskSourceScore,
} from './risk/risk-model.js';
export { builtInEntityTypes } from './risk/risk-model.js';
export type {
  RiskActionQuery,
  RiskEntityQuery,
  RiskEntityWrite,
  RiskRollupQuery,
  RiskStore,
  RiskStoreCommit,
} from './risk/risk-store.js';
// Rule engine
export type { CidrBlock, IpAddress } from './rules/cidr.js';
export { CidrSet, parseCidr, parseIp } from './rules/cidr.js';
export type { RulePredicate, RuleRunOptions } from './rules/compile-rule.js';
export { compileRule } from './rules/compile-rule.js';
export type {
  AlwaysExplanation,
  ConditionExplanation,
  GroupExplanation,
  NotExplanation,
  RuleExplanation,
  RuleExplanationBase,
} from './rules/explain-rule.js';
export { explainRule } from './rules/explain-rule.js';
export type {
  Rule,
  RuleAlways,
  RuleAnd,
  RuleCondition,
  RuleNot,
  RuleOperator,
  RuleOr,
  RuleScalar,
  RuleValue,
} from './rules/rule-ast.js';
export { isCondition, ruleLimits, ruleOperators } from './rules/rule-ast.js';
export type { RuleEngineOptions } from './rules/rule-engine.js';
export { RuleEngine } from './rules/rule-engine.js';
export type { RuleIssue, RulePosition } from './rules/rule-error.js';
export { RuleError } from './rules/rule-error.js';
export { parseRule } from './rules/rule-parser.js';
export { printRule } from './rules/rule-printer.js';
export type { RuleValidation } from './rules/rule-schema.js';
export { ruleInputSchema, ruleSchema, validateRule } from './rules/rule-schema.js';
export { isSafeRegex, regexProblem } from './rules/safe-regex.js';
// Scheduler
export type { InProcessSchedulerOptions } from './scheduler/in-process-scheduler.js';
export { createInProcessScheduler } from './scheduler/in-process-scheduler.js';
export type { LeaseProvider, MemoryLeaseProviderOptions, TaskLease } from './scheduler/lease-provider.js';
export { createMemoryLeaseProvider } from './scheduler/lease-provider.js';
export type {
  ScheduledTask,
  ScheduledTaskContext,
  ScheduledTaskFunction,
  ScheduledTaskStatus,
  Scheduler,
  SchedulerBackoffOptions,
  SchedulerEvents,
  SchedulerStopOptions,
  ScheduleTaskOptions,
  SkippedTaskRun,
  TaskRunError,
  TaskRunFinishedEvent,
  TaskRunOutcome,
  TaskRunRecord,
  TaskRunResult,
  TaskRunStartedEvent,
  TaskRunTrigger,
} from './scheduler/scheduler.js';
export type { ItemResult, ModuleName, Result, Severity, Timestamp } from './schemas/common.js';
// Shared schemas
export {
  durationSchema,
  err,
  formatDuration,
  identifierSchema,
  moduleNameSchema,
  moduleNames,
  ok,
  parseDuration,
  severityLevels,
  severityRank,
  severitySchema,
  timestampSchema,
} from './schemas/common.js';
export type { SecretStore, SecretStoreInfo, SecretStoreOptions } from './secrets/secret-store.js';
export { createSecretStore, isSecretReference } from './secrets/secret-store.js';
// Storage: the in-memory adapter
export type { MemoryStorageOptions } from './storage/memory-storage.js';
export { createMemoryStorage } from './storage/memory-storage.js';
// Storage interfaces
export type {
  AuditEntry,
  AuditLog,
  AuditQuery,
  KeyValueStore,
  ListOptions,
  Page,
  PluginConfigRecord,
  PluginConfigStore,
  StorageAdapter,
  StorageStores,
  VersionedEntry,
  WriteOptions,
} from './storage/storage-adapter.js';
// Storage: helpers for adapter authors
export type { StorageGate, TransactionScope } from './storage/storage-support.js';
export {
  checkExpectedVersion,
  checkStorageName,
  compareCodePoints,
  createStorageGate,
  normalizeAuditInput,
  normalizePluginConfigInput,
  prefixUpperBound,
  resolvePageLimit,
  toStoredJson,
  versionConflictError,
} from './storage/storage-support.js';
// Indicator stores (IocStore implementations and helpers for their authors)
export type {
  IndicatorCodec,
  IndicatorCodecOptions,
  IndicatorStringDictionary,
} from './threat/indicator-codec.js';
export { createIndicatorCodec, createIndicatorStringDictionary } from './threat/indicator-codec.js';
export type {
  DestinationState,
  DestinationStatus,
  IndicatorKey,
  IndicatorReport,
  IndicatorReportInput,
  IndicatorSeverity,
  IndicatorType,
  MergedIndicator,
  SightingSummary,
  SourceRecord,
  StoredIndicator,
  Suppression,
  Tlp,
  VerdictDecision,
} from './threat/indicator-model.js';
export {
  indicatorKeyString,
  indicatorReportSchema,
  indicatorSeverities,
  indicatorSeveritySchema,
  indicatorTypeSchema,
  indicatorTypes,
  tlpLevels,
  tlpRank,
  tlpSchema,
} from './threat/indicator-model.js';
export type {
  DailyCount,
  DestinationStateQuery,
  IndicatorPageRequest,
  IndicatorQuery,
  IndicatorSeriesField,
  IocStore,
} from './threat/ioc-store.js';
export {
  checkDestinationId,
  checkDestinationStateQuery,
  checkIndicatorKey,
  checkIndicatorKeys,
  checkIndicatorQuery,
  checkIndicatorRecords,
  compareIndicatorKeys,
  dailyCountRange,
  decodeIndicatorCursor,
  encodeIndicatorCursor,
  indicatorTypesInOrder,
  maxDailyCountDays,
  maxIocPageLimit,
  normalizeDestinationStates,
  resolveIocLimit,
  utcDayMs,
  utcDayString,
  withSequence,
} from './threat/ioc-store-support.js';
export type { MemoryIocStoreOptions } from './threat/memory-ioc-store.js';
export { createMemoryIocStore } from './threat/memory-ioc-store.js';
export type {
  ChosenAction,
  DestinationAction,
  DestinationLimits,
  IndicatorBatch,
  SharedIndicator,
  SourceCheckpoint,
  ThreatDestinationCapability,
  ThreatExchangeCapabilities,
  ThreatSourceCapability,
} from './threat/threat-capabilities.js';
export type { MemoryTicketStoreOptions } from './tickets/memory-ticket-store.js';
export { createMemoryTicketStore } from './tickets/memory-ticket-store.js';
// Ticket orchestrator: model, store interface, plugin capabilities
export type {
  AlertPage,
  AlertPullRequest,
  AlertSourceCapability,
  AlertStatusWriteBack,
  RemoteTicket,
  TicketCreateRequest,
  TicketDestinationCapability,
  TicketDestinationLimits,
  TicketOrchestratorCapabilities,
  TicketResolveRequest,
  TicketSyncItem,
  TicketSyncResult,
  TicketUpdateRequest,
} from './tickets/ticket-capabilities.js';
export type {
  Alert,
  AlertDisposition,
  AlertDispositionKind,
  AlertInput,
  OutboxEntry,
  OutboxOperation,
  StoredAlert,
  Ticket,
  TicketApproval,
  TicketError,
  TicketStatus,
  TicketStatusChange,
  TicketTarget,
} from './tickets/ticket-model.js';
export { alertInputSchema, openTicketStatuses, ticketStatuses } from './tickets/ticket-model.js';
export type {
  AlertQuery,
  OutboxQuery,
  TicketQuery,
  TicketStore,
  TicketStoreCommit,
  TicketWrite,
} from './tickets/ticket-store.js';
export type { TicketCursor } from './tickets/ticket-store-support.js';
export {
  alertKey,
  alertMatches,
  alertTicketId,
  checkOutboxEntry,
  checkStoredAlert,
  checkTicket,
  decodeTicketCursor,
  encodeTicketCursor,
  outboxMatches,
  ticketConflict,
  ticketMatches,
  ticketPageLimit,
} from './tickets/ticket-store-support.js';
export type { Clock } from './time/clock.js';
// Time and events
export { FakeClock, systemClock } from './time/clock.js';
