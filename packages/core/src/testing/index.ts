/**
 * Test utilities for the SDK and for storage and plugin authors: the storage conformance suite
 * and the mock HTTP server. Imports vitest; use it from test files only.
 *
 * @module @ce/core/testing
 */

export { createMemoryLogger } from '../logging/logger.js';
export { FakeClock } from '../time/clock.js';
