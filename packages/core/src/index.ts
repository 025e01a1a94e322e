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
export type { Clock } from './time/clock.js';
// Time and events
export { FakeClock, systemClock } from './time/clock.js';
