/**
 * The `feed` plugin: threat-intel feeds (plain lists, CSV, JSON, JSON Lines) over HTTP(S) or from
 * local files as a full-list threat-exchange source, with presets for URLhaus, ThreatFox,
 * MalwareBazaar, Feodo Tracker, OpenPhish and Spamhaus DROP, and the in-process feed server its
 * tests and the offline demo use.
 *
 * @module @ce/plugins-feeds
 */

export type { CsvParse } from './csv.js';
export { parseCsvRecord } from './csv.js';
export type { FeedConfig, FeedFields, FeedFormat, FeedPresetId } from './feed-config.js';
export { feedConfigSchema, feedFieldsSchema, feedFormats, feedPresetIds } from './feed-config.js';
export type {
  FeedRecord,
  MappingSettings,
  MapResult,
  RecordMapper,
  SkipKind,
  TypeReading,
} from './feed-mapping.js';
export { readTimestamp, readType, stripPort } from './feed-mapping.js';
export type { FeedDocument, FeedServer, FeedServerOptions } from './feed-mock-server.js';
export {
  feedFixturePaths,
  feedFixturesDirectory,
  readFeedFixture,
  startFeedServer,
} from './feed-mock-server.js';
export { createFeedParser, feedLocation } from './feed-parser.js';
export type { FeedPluginOptions } from './feed-plugin.js';
export { createFeedPlugin, feedHttpOptions, feedPlugin, pullFeed } from './feed-plugin.js';
export type { FeedPreset } from './feed-presets.js';
export { feedPresets } from './feed-presets.js';
export type { FeedParser, SkipSample } from './feed-reader.js';
export { FeedStats, readFeedIndicators } from './feed-reader.js';
export type { FeedCheckpoint, FeedFileAccess } from './feed-source.js';
export { parseFeedCheckpoint } from './feed-source.js';
