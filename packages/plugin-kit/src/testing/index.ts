/**
 * Contract suites that every plugin runs in its tests, one per module capability. Imports
 * vitest; use it from test files only.
 *
 * @module @ce/plugin-kit/testing
 */

// Log shipper
export type { LogSinkContractOptions, LogSinkContractSetup } from './log-sink-contract.js';
export { logSinkContractPayloads, runLogSinkContract } from './log-sink-contract.js';
// Log shipper
export type { LogSourceContractOptions } from './log-source-contract.js';
export { runLogSourceContract } from './log-source-contract.js';
// Risk exchange
export type {
  RiskActionContractOptions,
  RiskActionContractSetup,
  RiskSourceContractOptions,
  RiskSourceContractSetup,
} from './risk-exchange-contract.js';
export { runRiskActionContract, runRiskSourceContract } from './risk-exchange-contract.js';
export type {
  ContractSetup,
  ThreatDestinationContractOptions,
  ThreatSourceContractOptions,
} from './threat-exchange-contract.js';
export { runThreatDestinationContract, runThreatSourceContract } from './threat-exchange-contract.js';
// Ticket orchestrator
export type {
  TicketDestinationContractOptions,
  TicketDestinationContractSetup,
} from './ticket-destination-contract.js';
export { runTicketDestinationContract } from './ticket-destination-contract.js';
