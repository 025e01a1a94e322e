/**
 * Log shipper sinks: HTTP webhook, Splunk HTTP Event Collector, Elasticsearch/OpenSearch `_bulk`,
 * S3-compatible object storage and rotating local files, each a plugin with in-repo mock servers.
 *
 * @module @ce/plugins-log-sinks
 */
export {};
