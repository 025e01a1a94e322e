/**
 * Log shipper sinks: HTTP webhook, Splunk HTTP Event Collector, Elasticsearch/OpenSearch `_bulk`,
 * S3-compatible object storage and rotating local files, each a plugin with in-repo mock servers.
 *
 * @module @ce/plugins-log-sinks
 */

export type { AwsCredentials, SigV4Request, SigV4Scope, SigV4Signature } from './aws-sigv4.js';
export {
  amzDate,
  canonicalQueryString,
  sha256Hex,
  signingKey,
  signV4,
  uriEncode,
} from './aws-sigv4.js';
export type { ElasticsearchMockServer, ElasticsearchMockServerOptions } from './elasticsearch-mock-server.js';
export { startElasticsearchMockServer } from './elasticsearch-mock-server.js';
export type { ElasticsearchConfig } from './elasticsearch-sink.js';
export {
  documentId,
  elasticsearchConfigSchema,
  elasticsearchDocument,
  elasticsearchSink,
  elasticsearchSinkPlugin,
  expandIndexName,
} from './elasticsearch-sink.js';
export type { FileSinkConfig, FileSinkPluginOptions } from './file-sink.js';
export {
  createFileSinkPlugin,
  fileSinkConfigSchema,
  fileSinkPlugin,
  resolveSinkDirectory,
} from './file-sink.js';
export type {
  RawMockHandler,
  RawMockRequest,
  RawMockResponse,
  RawMockServer,
  RawMockServerOptions,
} from './raw-mock-server.js';
export { startRawMockServer } from './raw-mock-server.js';
export type { S3MockObject, S3MockServer, S3MockServerOptions } from './s3-mock-server.js';
export { s3ErrorResponse, startS3MockServer } from './s3-mock-server.js';
export type { S3Config } from './s3-sink.js';
export { parseS3Error, s3ConfigSchema, s3ErrorCodes, s3ObjectKey, s3Sink, s3SinkPlugin } from './s3-sink.js';
export type {
  SplunkHecIndexedEvent,
  SplunkHecMockServer,
  SplunkHecMockServerOptions,
} from './splunk-hec-mock-server.js';
export { splitConcatenatedJson, startSplunkHecMockServer } from './splunk-hec-mock-server.js';
export type { SplunkHecConfig } from './splunk-hec-sink.js';
export {
  hecEventJson,
  splunkHecCodes,
  splunkHecConfigSchema,
  splunkHecPaths,
  splunkHecSink,
  splunkHecSinkPlugin,
} from './splunk-hec-sink.js';
export type {
  WebhookMockServer,
  WebhookMockServerOptions,
  WebhookReceivedBatch,
} from './webhook-mock-server.js';
export { startWebhookMockServer } from './webhook-mock-server.js';
export type { VerifyWebhookSignatureOptions } from './webhook-signature.js';
export { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';
export type { WebhookConfig } from './webhook-sink.js';
export { encodeWebhookBody, webhookConfigSchema, webhookSink, webhookSinkPlugin } from './webhook-sink.js';
