/**
 * Test utilities for the SDK and for storage and plugin authors: the storage conformance suite
 * and the mock HTTP server. Imports vitest; use it from test files only.
 *
 * @module @ce/core/testing
 */

export { createMemoryLogger } from '../logging/logger.js';
export { FakeClock } from '../time/clock.js';
// Mock HTTP server
export type {
  MockFault,
  MockHandler,
  MockPaginateOptions,
  MockRateLimitOptions,
  MockRequest,
  MockResponse,
  MockServer,
  MockServerOptions,
  RecordedRequest,
} from './mock-server.js';
export { createMockServer } from './mock-server.js';
// Storage conformance
export type {
  StorageConformanceContext,
  StorageConformanceFactory,
  StorageConformanceSubject,
} from './storage-conformance.js';
export { runStorageConformance } from './storage-conformance.js';
