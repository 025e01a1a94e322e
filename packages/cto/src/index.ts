/**
 * @module @ce/cto
 */

// Delivery: the outbox processor, the status sync and their shared rate limits
export type {
  DeliveryOptions,
  OutboxRunReport,
  RetryPolicy,
  SyncRunReport,
} from './delivery/delivery-options.js';
export { DestinationLimiters, sharedDestinationLimiters } from './delivery/destination-limiters.js';
export { OutboxProcessor } from './delivery/outbox-processor.js';
export { StatusSync } from './delivery/status-sync.js';
// Orchestrator: configuration, templates, decisions, explain, the module
export type { FieldReader } from './engine/alert-fields.js';
export { fieldReader, parseAlert, stableHash } from './engine/alert-fields.js';
export type { DecisionTrace, DestinationInfo } from './engine/decision-batch.js';
export type {
  BusinessRule,
  BusinessRuleInput,
  MaintenanceWindow,
  Queue,
  QueueInput,
  Silence,
  SilenceInput,
} from './engine/orchestrator-config.js';
export {
  businessRuleSchema,
  dedupSchema,
  groupingSchema,
  maintenanceEnd,
  maintenanceWindowSchema,
  queueSchema,
  silenceMatcherSchema,
  silenceSchema,
} from './engine/orchestrator-config.js';
export type { CompiledSilence } from './engine/silences.js';
export { compileSilence, silenceActive, silenceMatches } from './engine/silences.js';
export type { CompiledTemplate } from './engine/template.js';
export { compileTemplate, MissingTemplateField } from './engine/template.js';
export type {
  AlertExplanation,
  ChangeOptions,
  SubmitReport,
  TicketOrchestratorMetrics,
  TicketOrchestratorOptions,
} from './engine/ticket-orchestrator.js';
export { TicketOrchestrator } from './engine/ticket-orchestrator.js';
export type {
  AlertsDecidedEvent,
  TicketApprovalDecidedEvent,
  TicketOrchestratorEvents,
  TicketResolvedEvent,
} from './engine/ticket-orchestrator-events.js';
export { ticketOrchestrator } from './engine/ticket-orchestrator-module.js';
// Intake: pulled, webhook and module-raised alerts
export type { AlertPullerOptions, AlertPullResult, AlertPullState } from './intake/alert-puller.js';
export { AlertPuller, alertIntakeNamespace, alertPullStateKey } from './intake/alert-puller.js';
export type { IndicatorHitInput, RiskThresholdInput } from './intake/module-alerts.js';
export { alertFromIndicatorHit, alertFromRiskThreshold } from './intake/module-alerts.js';
export type {
  ParseWebhookOptions,
  SignWebhookOptions,
  WebhookAlertMapping,
  WebhookFieldPaths,
  WebhookItemError,
  WebhookParseResult,
  WebhookRefused,
  WebhookSignatureFailure,
  WebhookSignatureOptions,
  WebhookSignatureScheme,
  WebhookVerification,
  WebhookVerified,
} from './intake/webhook.js';
export {
  deterministicAlertId,
  parseWebhookAlerts,
  signWebhookBody,
  verifyWebhookSignature,
} from './intake/webhook.js';
