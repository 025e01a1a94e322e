/**
 * The sample plugin: a complete, small plugin against the documented "Sample Intel" API, and the
 * in-process server that speaks that API for tests and the offline demo.
 *
 * @module @ce/plugins-sample
 */
export { sampleApiPaths, sampleErrorSchema, sampleStatusSchema } from './sample-api.js';
export type { SampleConfig } from './sample-plugin.js';
export { sampleConfigSchema, samplePlugin } from './sample-plugin.js';
export type { SampleServerOptions } from './sample-server.js';
export { startSampleServer } from './sample-server.js';
