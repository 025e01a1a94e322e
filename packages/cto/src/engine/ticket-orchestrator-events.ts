import type { AlertDispositionKind } from '@ce/core';

/** A batch of alerts was decided and stored: how many ended in each disposition. */
export interface AlertsDecidedEvent {
  sourceConfigId: string;
  /** Inputs received, including replays and refused ones. */
  received: number;
  /** Alerts stored by this submission, by disposition kind. */
  dispositions: Partial<Record<AlertDispositionKind, number>>;
  /** Alerts already stored (replays), not decided again. */
  duplicates: number;
  /** Inputs refused without an id to store them under. */
  rejected: number;
  at: number;
}

/** A person approved or declined a ticket waiting for approval. */
export interface TicketApprovalDecidedEvent {
  ticketId: string;
  queueId: string;
  approved: boolean;
  by: string;
  at: number;
}

/** A ticket was resolved from this side (its resolve write is queued). */
export interface TicketResolvedEvent {
  ticketId: string;
  queueId: string;
  at: number;
}

/** Ticket orchestrator events, on the exchange's bus. */
export interface TicketOrchestratorEvents {
  'alerts-decided': AlertsDecidedEvent;
  'ticket-approval-decided': TicketApprovalDecidedEvent;
  'ticket-resolved': TicketResolvedEvent;
}

declare module '@ce/core' {
  interface CloudExchangeEvents extends TicketOrchestratorEvents {}
}
