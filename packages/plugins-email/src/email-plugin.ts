import { definePlugin } from '@ce/plugin-kit';
import { emailConfigSchema } from './email-config.js';
import { checkEmail, emailDestination } from './email-destination.js';

/**
 * Email over SMTP as a ticket orchestrator destination: one thread per ticket, started under a
 * Message-ID derived from the ticket's idempotency key; updates, reopen and resolve reply in it
 * (`In-Reply-To`, `References`, `Re:`).
 *
 * @example
 * ```ts
 * const config = {
 *   host: 'smtp.example.com',
 *   port: 587,
 *   username: 'ce-alerts@example.com',
 *   password: { secretRef: 'smtp-password' },
 *   from: 'ce-alerts@example.com',
 *   to: ['soc@example.com'],
 * };
 * ```
 */
export const emailPlugin = definePlugin({
  id: 'email',
  name: 'Email (SMTP)',
  version: '0.1.0',
  description:
    'Sends ticket notifications by email over SMTP (STARTTLS or TLS, AUTH), threaded per ticket with Message-ID, In-Reply-To and References.',
  modules: ['cto'],
  configSchema: emailConfigSchema,
  capabilities: { check: true, 'cto.destination': true },
  check: checkEmail,
  cto: { destination: emailDestination },
});
