/**
 * Syslog sink plugin for the log shipper: UDP, TCP and TLS, octet-counting or newline framing,
 * reconnect with backoff.
 *
 * @module @ce/plugins-syslog
 */
export type { SyslogConfig } from './syslog-config.js';
export {
  syslogConfigSchema,
  syslogFacilities,
  syslogHeaderSchema,
  syslogSeverities,
  syslogTlsSchema,
} from './syslog-config.js';
export type { EncodedSyslogMessage, SyslogEncoderOptions, SyslogFraming } from './syslog-message.js';
export { createSyslogEncoder, escapeFrameBreaks, rfc5424Header, truncateUtf8 } from './syslog-message.js';
export { syslogPlugin } from './syslog-plugin.js';
export type { SyslogReceiver, SyslogReceiverOptions } from './syslog-receiver.js';
export { startSyslogReceiver } from './syslog-receiver.js';
