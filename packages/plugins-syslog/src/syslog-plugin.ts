import { CeError } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { resolveSyslogConfig, syslogConfigSchema } from './syslog-config.js';
import { openDatagram, openStream, toSyslogError } from './syslog-connection.js';
import { openSyslogSession } from './syslog-sink.js';

/**
 * The syslog sink of the log shipper: sends each record as one syslog message over UDP
 * (RFC 5426), TCP (RFC 6587) or TLS (RFC 5425), with octet-counting or newline framing, and
 * reconnects with exponential backoff and jitter. A `syslog` payload is sent as it is; a `cef`,
 * `leef` or `json` payload becomes the message of an RFC 5424 header the sink writes.
 *
 * @example
 * ```ts
 * const shipper = new LogShipper({ plugins: [netskopePlugin, syslogPlugin], ... });
 * await exchange.configurations.add({
 *   id: 'siem',
 *   pluginId: 'syslog',
 *   config: { host: 'siem.example.com', transport: 'tls', tls: { ca: caPem } },
 * });
 * ```
 */
export const syslogPlugin = definePlugin({
  id: 'syslog',
  name: 'Syslog',
  version: '0.1.0',
  description:
    'Sends events and alerts to a syslog receiver over UDP, TCP or TLS (RFC 5424, 5425, 5426, 6587), with octet-counting or newline framing.',
  modules: ['cls'],
  configSchema: syslogConfigSchema,
  capabilities: { check: true, 'cls.sink': true },
  async check(context) {
    const config = resolveSyslogConfig(context.config);
    const target = `${config.host}:${config.port}`;
    try {
      if (config.transport === 'udp') {
        const socket = await openDatagram(config, context.signal);
        socket.close();
        return { ok: true, message: `resolved ${target}; UDP cannot confirm that a receiver listens` };
      }
      const socket = await openStream(config, context.clock, context.signal);
      socket.on('error', () => undefined);
      socket.end();
      return { ok: true, message: `connected to ${target} over ${config.transport.toUpperCase()}` };
    } catch (error) {
      const typed = CeError.isInstance(error) ? error : toSyslogError(error, target, 'connecting');
      return { ok: false, message: typed.message, retryable: typed.retryable };
    }
  },
  cls: {
    sink: {
      formats: ['syslog', 'cef', 'leef', 'json'],
      // Only payloads go over the wire: the shipper need not spool the records.
      limits: (config) => ({ maxBatchItems: config.maxBatchItems, records: false }),
      open: openSyslogSession,
    },
  },
});
