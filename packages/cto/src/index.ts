/**
 * @module @ce/cto
 */

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
