/**
 * Contract suites that every plugin runs in its tests, one per module capability. Imports
 * vitest; use it from test files only.
 *
 * @module @ce/plugin-kit/testing
 */
export type {
  ContractSetup,
  ThreatDestinationContractOptions,
  ThreatSourceContractOptions,
} from './threat-exchange-contract.js';
export { runThreatDestinationContract, runThreatSourceContract } from './threat-exchange-contract.js';
