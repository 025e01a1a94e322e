import { runTicketDestinationContract } from '@ce/plugin-kit/testing';
import { threadMessageId } from './email-message.js';
import { emailPlugin } from './email-plugin.js';
import { startSmtpTestServer } from './smtp-test-server.js';

const password = 'contract-smtp-Pa55word!';
const faults: Record<number, number> = { 400: 554, 401: 535, 404: 550, 429: 451, 500: 421, 503: 421 };

runTicketDestinationContract(emailPlugin, {
  setup: async () => {
    const smtp = await startSmtpTestServer({ users: { 'ce-alerts': password } });
    return {
      config: {
        host: smtp.host,
        port: smtp.port,
        ca: smtp.ca,
        servername: 'localhost',
        username: 'ce-alerts',
        password,
        from: 'ce-alerts@contract.example',
        to: ['soc@contract.example'],
      },
      target: {},
      failNext: (status) => smtp.failNext({ code: faults[status] ?? (status >= 500 ? 421 : 554) }),
      read: async (remoteId) => {
        const thread = smtp.thread(remoteId);
        return thread.length === 0
          ? undefined
          : { text: thread.map((message) => `${message.subject}\n${message.text}`).join('\n') };
      },
      count: async (key) =>
        smtp.messages.filter((message) => message.messageId === threadMessageId(key, 'contract.example'))
          .length,
      secrets: [password],
      teardown: () => smtp.close(),
    };
  },
});
