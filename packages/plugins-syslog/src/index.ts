/**
 * Syslog sink plugin for the log shipper: UDP, TCP and TLS, octet-counting or newline framing,
 * reconnect with backoff.
 *
 * @module @ce/plugins-syslog
 */
export {};
