/**
 * Test utilities for storage authors: the storage conformance suite, plus the fake clock and
 * memory logger it uses. Imports vitest; use it from test files only. The mock HTTP server for
 * plugin tests is in `@ce/plugin-kit`.
 *
 * @module @ce/core/testing
 */

export { createMemoryLogger } from '../logging/logger.js';
export { FakeClock } from '../time/clock.js';
// IocStore conformance
export type {
  IocStoreConformanceContext,
  IocStoreConformanceFactory,
  IocStoreConformanceSubject,
} from './ioc-store-conformance.js';
export { runIocStoreConformance } from './ioc-store-conformance.js';
// Storage conformance
export type {
  StorageConformanceContext,
  StorageConformanceFactory,
  StorageConformanceSubject,
} from './storage-conformance.js';
export { runStorageConformance } from './storage-conformance.js';
// TicketStore conformance
export type {
  TicketStoreConformanceFactory,
  TicketStoreConformanceSubject,
} from './ticket-store-conformance.js';
export { runTicketStoreConformance } from './ticket-store-conformance.js';
