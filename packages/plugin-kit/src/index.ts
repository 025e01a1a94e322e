/**
 * Write and test Cloud Exchange plugins: `definePlugin`, a mock vendor server, a test harness
 * that runs capability methods like a host would, and the `ce-plugin` scaffolding command.
 *
 * @module @ce/plugin-kit
 */
export type { DefinedPlugin, PluginDefinitionInput } from './define-plugin.js';
export { definePlugin } from './define-plugin.js';
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
export type { PluginHarness, PluginHarnessOptions } from './plugin-harness.js';
export { createPluginHarness } from './plugin-harness.js';
export type { ScaffoldOptions, ScaffoldResult } from './scaffold/scaffold-plugin.js';
export { scaffoldPlugin } from './scaffold/scaffold-plugin.js';
