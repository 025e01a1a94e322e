import { runLogSinkContract } from '@ce/plugin-kit/testing';
import { createTestPki, hasOpenssl } from './__fixtures__/test-pki.js';
import { escapeFrameBreaks } from './syslog-message.js';
import { syslogPlugin } from './syslog-plugin.js';
import { startSyslogReceiver } from './syslog-receiver.js';

runLogSinkContract(syslogPlugin, {
  setup: async () => {
    const receiver = await startSyslogReceiver({ transport: 'tcp', framing: 'octet-counting' });
    return {
      config: { host: receiver.host, port: receiver.port, transport: 'tcp' },
      read: async () => receiver.messages.slice(),
      teardown: () => receiver.close(),
    };
  },
});

// Newline framing cannot carry a raw LF: the sink escapes it, and the receiver must still see one
// message per record.
runLogSinkContract(syslogPlugin, {
  expectedPayload: escapeFrameBreaks,
  setup: async () => {
    const receiver = await startSyslogReceiver({ transport: 'tcp', framing: 'newline' });
    return {
      config: { host: receiver.host, port: receiver.port, transport: 'tcp', framing: 'newline' },
      read: async () => receiver.messages.slice(),
      teardown: () => receiver.close(),
    };
  },
});

runLogSinkContract(syslogPlugin, {
  setup: async () => {
    const receiver = await startSyslogReceiver({ transport: 'udp' });
    return {
      config: { host: receiver.host, port: receiver.port, transport: 'udp', maxBatchItems: 500 },
      read: async () => receiver.messages.slice(),
      teardown: () => receiver.close(),
    };
  },
});

// CEF payloads get the sink's own RFC 5424 header; the receiver side strips it back off.
const header = /^<14>1 \S+ test-host cloud-exchange - - - /;
runLogSinkContract(syslogPlugin, {
  format: 'cef',
  setup: async () => {
    const receiver = await startSyslogReceiver({ transport: 'tcp' });
    return {
      config: {
        host: receiver.host,
        port: receiver.port,
        transport: 'tcp',
        header: { hostname: 'test-host' },
      },
      read: async () =>
        receiver.messages.map((message) => {
          if (!header.test(message)) throw new Error(`missing RFC 5424 header: ${message}`);
          return message.replace(header, '');
        }),
      teardown: () => receiver.close(),
    };
  },
});

if (hasOpenssl()) {
  const pki = createTestPki();
  runLogSinkContract(syslogPlugin, {
    setup: async () => {
      const receiver = await startSyslogReceiver({
        transport: 'tls',
        tls: {
          key: pki.server.key,
          cert: pki.server.cert,
          ca: pki.ca.cert,
          requestCert: true,
          rejectUnauthorized: true,
        },
      });
      return {
        config: {
          host: receiver.host,
          port: receiver.port,
          transport: 'tls',
          tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, servername: 'localhost' },
        },
        read: async () => receiver.messages.slice(),
        teardown: () => receiver.close(),
      };
    },
  });
} else {
  console.warn('openssl not found: the TLS variant of the syslog sink contract is skipped');
}
