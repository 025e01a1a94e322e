/**
 * What a plugin offers the ticket orchestrator: a source of alerts, a destination for tickets
 * and notifications, or both.
 *
 * @module
 */
import type { PluginContext } from '../plugin/plugin-context.js';
import type { Severity } from '../schemas/common.js';
import type { SourceCheckpoint } from '../threat/threat-capabilities.js';
import type { Alert, AlertInput, TicketStatus, TicketTarget } from './ticket-model.js';

/** What the orchestrator asks an alert source for. */
export interface AlertPullRequest {
  /** Where the last stored page left off; `undefined` on the first pull (start as configured). */
  checkpoint: SourceCheckpoint | undefined;
  /**
   * True when a pull from this same checkpoint started before and its alerts were never stored
   * (the process stopped in between): a source whose API advances on read must return the same
   * page again (Netskope's `operation=resend`).
   */
  redeliver: boolean;
}

/** One page of alerts. */
export interface AlertPage {
  /** Alerts, oldest first. Invalid ones are recorded as failed with the reason, never dropped. */
  alerts: ReadonlyArray<AlertInput>;
  /** Where to continue; stored once the page's alerts are stored. */
  checkpoint: SourceCheckpoint;
  /** Whether more alerts are ready now. */
  more: boolean;
  /** How long the source asks to wait before the next pull, in ms. */
  waitMs?: number;
}

/** A ticket's status, written back to the source that raised its alerts. */
export interface AlertStatusWriteBack {
  /** The alerts of the ticket that came from this source configuration. */
  alerts: ReadonlyArray<Alert>;
  status: TicketStatus;
  /** The ticket, for a comment or a link on the source's side. */
  ticket: { id: string; remoteId?: string; link?: string };
}

/** A source of alerts (Netskope's alert data export). */
export interface AlertSourceCapability<Config> {
  /** Pulls the page after `request.checkpoint`. */
  pull(context: PluginContext<Config>, request: AlertPullRequest): Promise<AlertPage>;
  /**
   * Writes a ticket's status back (Netskope incident status), where the source supports it.
   * Idempotent: writing the same status twice is harmless.
   */
  writeBack?(context: PluginContext<Config>, request: AlertStatusWriteBack): Promise<void>;
}

/**
 * What a destination needs to create a ticket. `fields` are the queue's mapping rendered over the
 * alert (the plugin documents the names it reads: Jira's `summary`, ServiceNow's
 * `short_description`, Slack's `text`...); unknown names are the plugin's to pass on or ignore.
 */
export interface TicketCreateRequest {
  /** The orchestrator's id of the ticket. */
  ticketId: string;
  /** To place on the remote ticket, so that {@link TicketDestinationCapability.find} finds it. */
  idempotencyKey: string;
  target: TicketTarget;
  fields: Readonly<Record<string, unknown>>;
  severity: Severity;
  /** The alerts it is made from, oldest first (one, or a group's members up to a cap). */
  alerts: ReadonlyArray<Alert>;
  /** Every alert it stands for, including those beyond the cap. */
  alertCount: number;
}

/** A ticket as the destination knows it. */
export interface RemoteTicket {
  /** The destination's id (a Jira key, a `sys_id`, a Slack `ts`, a PagerDuty dedup key). */
  remoteId: string;
  /** Link for people. */
  link?: string;
  /** The destination's own status name. */
  remoteStatus?: string;
}

/** An update of an existing remote ticket. */
export interface TicketUpdateRequest {
  ticketId: string;
  idempotencyKey: string;
  target: TicketTarget;
  remoteId: string;
  /**
   * - `comment`: add `comment` (a deduplicated alert, a group's new members);
   * - `fields`: change `fields` (a notification edited in place, a raised severity);
   * - `reopen`: reopen a closed ticket, with `comment` saying why.
   */
  kind: 'comment' | 'fields' | 'reopen';
  comment?: string;
  fields?: Readonly<Record<string, unknown>>;
  severity: Severity;
  /** Alerts that updated the ticket so far. */
  dedupeCount: number;
  /** The alerts behind this update. */
  alerts: ReadonlyArray<Alert>;
}

/** Closing a remote ticket. */
export interface TicketResolveRequest {
  ticketId: string;
  idempotencyKey: string;
  target: TicketTarget;
  remoteId: string;
  comment?: string;
}

/** One ticket to sync. */
export interface TicketSyncItem {
  remoteId: string;
  target: TicketTarget;
}

/** What a status sync found for one ticket. */
export type TicketSyncResult =
  | { remoteId: string; exists: true; remoteStatus: string; updatedAt?: number }
  | { remoteId: string; exists: false };

/** A destination's limits, so the orchestrator stays within them. */
export interface TicketDestinationLimits {
  /** Requests per second the orchestrator may make for one configuration. */
  requestsPerSecond?: number;
  /** Most tickets per {@link TicketDestinationCapability.sync} call. @default 100 */
  maxSyncBatch?: number;
}

/**
 * A destination for tickets (Jira, ServiceNow) or notifications (Slack, Teams, PagerDuty, email,
 * a webhook). Throw a `CeError` on failure: `HttpError` carries the status, and the orchestrator
 * retries 429, 5xx and network failures (honouring `Retry-After`) but not 400, 401, 403 or 404.
 */
export interface TicketDestinationCapability<Config> {
  /** `ticket`: has a lifecycle that is synced; `notification`: sent, perhaps updated, never synced. */
  kind: 'ticket' | 'notification';
  /**
   * The mapping a queue uses when it names none: field name to template over the alert
   * (`{ summary: '{{name}} ({{user}})' }`).
   */
  defaultMapping(config: Config): Readonly<Record<string, string>>;
  /** The destination's status names mapped to canonical statuses, unless a queue overrides them. */
  defaultStatusMap?(config: Config): Readonly<Record<string, TicketStatus>>;
  /** How a canonical severity reads on this destination (a Jira priority, a PagerDuty severity). */
  defaultSeverityMap?(config: Config): Readonly<Partial<Record<Severity, string>>>;
  /** The fields a target must name (`project`, `table`, `channel`), checked when a queue is saved. */
  targetFields?: ReadonlyArray<string>;
  limits?(config: Config): TicketDestinationLimits;
  /**
   * True when repeating {@link TicketDestinationCapability.create} with the same idempotency key
   * cannot open a second ticket or message (PagerDuty's `dedup_key`, an email's `Message-ID`).
   * After a create whose outcome is unknown (a timeout, a crash mid-call) the orchestrator looks
   * the ticket up with `find`; without `find`, it repeats the create only when this is true, and
   * otherwise fails the ticket with an "outcome unknown" error rather than risk a duplicate.
   * @default false
   */
  idempotentCreate?: boolean;
  /** Creates the ticket, placing `idempotencyKey` on it. */
  create(context: PluginContext<Config>, request: TicketCreateRequest): Promise<RemoteTicket>;
  /** Finds a ticket by the idempotency key it placed, after an ambiguous failure. */
  find?(
    context: PluginContext<Config>,
    request: { target: TicketTarget; idempotencyKey: string },
  ): Promise<RemoteTicket | undefined>;
  /** Updates a ticket; resolves with its state when the destination returns it. */
  update?(context: PluginContext<Config>, request: TicketUpdateRequest): Promise<RemoteTicket | undefined>;
  /** Closes a ticket. */
  resolve?(context: PluginContext<Config>, request: TicketResolveRequest): Promise<void>;
  /** Reads the status of up to `maxSyncBatch` tickets in as few requests as the API allows. */
  sync?(
    context: PluginContext<Config>,
    request: { tickets: ReadonlyArray<TicketSyncItem> },
  ): Promise<TicketSyncResult[]>;
  /** The status names the destination offers for a target (ServiceNow's choice list). */
  statuses?(context: PluginContext<Config>, target: TicketTarget): Promise<string[]>;
}

/** What a plugin offers the ticket orchestrator. */
export interface TicketOrchestratorCapabilities<Config> {
  /** Pulls alerts. */
  source?: AlertSourceCapability<Config>;
  /** Creates and updates tickets or sends notifications. */
  destination?: TicketDestinationCapability<Config>;
}
