/**
 * The email plugin: a ticket orchestrator destination that sends threaded notifications over
 * SMTP (Nodemailer), and `startSmtpTestServer`, a real SMTP server on loopback for tests and the
 * offline demo.
 *
 * @module @ce/plugins-email
 */
export type { EmailConfig } from './email-config.js';
export { emailAddressSchema, emailConfigSchema, headerTextSchema } from './email-config.js';
export { checkEmail, emailDefaultMapping, emailDestination } from './email-destination.js';
export {
  domainOf,
  escapeHtml,
  headerSafe,
  htmlBody,
  messageIdLocalPart,
  parseAddressList,
  replyMessageId,
  threadMessageId,
} from './email-message.js';
export { emailPlugin } from './email-plugin.js';
export type { ReadMessage } from './mime-reader.js';
export { readHeaders, readMessage } from './mime-reader.js';
export { smtpFailure } from './smtp-errors.js';
export type {
  ReceivedMessage,
  SmtpFault,
  SmtpTestServer,
  SmtpTestServerOptions,
  TestCertificate,
} from './smtp-test-server.js';
export { selfSignedCertificate, startSmtpTestServer } from './smtp-test-server.js';
