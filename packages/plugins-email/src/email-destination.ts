import type { Alert, PluginContext, RemoteTicket, TicketDestinationCapability, TicketTarget } from '@ce/core';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { EmailConfig } from './email-config.js';
import {
  domainOf,
  headerSafe,
  htmlBody,
  parseAddressList,
  replyMessageId,
  threadMessageId,
} from './email-message.js';
import { smtpFailure } from './smtp-errors.js';

/** The fields the plugin reads, as templates over the alert. */
export const emailDefaultMapping: Readonly<Record<string, string>> = {
  subject: '[{{severity | upper}}] {{name}} ({{user | default: "unknown user"}})',
  body: [
    'Alert: {{name}}',
    'Type: {{type}}',
    'Severity: {{severity}}',
    'User: {{user | default: "-"}}',
    'Application: {{app | default: "-"}}',
    'Source: {{tenant}}',
    'Queue: {{queue}}',
    'Alerts: {{alertCount}}',
    '',
    '{{summary}}',
  ].join('\n'),
};

/** What the plugin keeps per ticket so replies read `Re: <subject>` after a restart. */
interface ThreadState {
  messageId: string;
  subject: string;
}

const stateKey = (idempotencyKey: string) => `thread:${idempotencyKey}`;

/** A message to send. */
interface Outgoing {
  messageId: string;
  subject: string;
  text: string;
  title: string;
  ticketId: string;
  inReplyTo?: string;
  target: TicketTarget;
}

function recipients(config: EmailConfig, target: TicketTarget): { to: string[]; cc: string[] } {
  return {
    to: target.to ? parseAddressList(target.to, 'to') : config.to,
    cc: target.cc ? parseAddressList(target.cc, 'cc') : config.cc,
  };
}

function domain(config: EmailConfig): string {
  return config.messageIdDomain ?? domainOf(config.from);
}

function transportOptions(config: EmailConfig): SMTPTransport.Options {
  return {
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    ...(config.username && config.password ? { auth: { user: config.username, pass: config.password } } : {}),
    ...(config.authMethod ? { authMethod: config.authMethod } : {}),
    tls: {
      rejectUnauthorized: config.rejectUnauthorized,
      minVersion: 'TLSv1.2',
      ...(config.ca ? { ca: config.ca } : {}),
      ...(config.servername ? { servername: config.servername } : {}),
    },
    ...(config.clientName ? { name: config.clientName } : {}),
    connectionTimeout: config.connectionTimeoutMs,
    greetingTimeout: config.greetingTimeoutMs,
    socketTimeout: config.socketTimeoutMs,
    // Nothing in a message may make the transport read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
}

/** Sends one message over a fresh connection, closed afterwards (or when the call is aborted). */
async function send(context: PluginContext<EmailConfig>, message: Outgoing): Promise<void> {
  const config = context.config;
  const { to, cc } = recipients(config, message.target);
  const transport = createTransport(transportOptions(config));
  const abort = () => transport.close();
  context.signal.addEventListener('abort', abort, { once: true });
  try {
    if (context.signal.aborted) throw new Error('aborted before sending');
    const info = await transport.sendMail({
      from: { name: config.fromName, address: config.from },
      to,
      ...(cc.length > 0 ? { cc } : {}),
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      subject: message.subject,
      text: message.text,
      html: htmlBody(message.title, message.text, `Cloud Exchange ticket ${message.ticketId}`),
      messageId: message.messageId,
      ...(message.inReplyTo ? { inReplyTo: message.inReplyTo, references: [message.inReplyTo] } : {}),
      date: new Date(context.clock.now()),
      headers: {
        // RFC 3834: no out-of-office replies to an automated notification.
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-CE-Ticket-Id': headerSafe(message.ticketId, 200),
      },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const rejected = (info.rejected ?? []).length;
    if (rejected > 0)
      context.logger.warn('some recipients were refused', {
        refused: rejected,
        accepted: info.accepted.length,
      });
  } catch (error) {
    throw smtpFailure(error, config.password ? [config.password] : []);
  } finally {
    context.signal.removeEventListener('abort', abort);
    transport.close();
  }
}

function prefixed(config: EmailConfig, subject: string): string {
  return headerSafe(config.subjectPrefix ? `${config.subjectPrefix} ${subject}` : subject);
}

function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function alertLines(alerts: ReadonlyArray<Alert>): string {
  return alerts
    .slice(0, 20)
    .map(
      (alert) =>
        `- ${alert.name} (${alert.type}, ${alert.severity})${alert.user ? ` by ${alert.user}` : ''}${alert.app ? ` in ${alert.app}` : ''} at ${new Date(alert.timestamp).toISOString()}`,
    )
    .join('\n');
}

async function threadOf(
  context: PluginContext<EmailConfig>,
  request: { idempotencyKey: string; remoteId: string; ticketId: string },
): Promise<ThreadState> {
  const stored = await context.state.get<ThreadState>(stateKey(request.idempotencyKey));
  return (
    stored ?? { messageId: request.remoteId, subject: prefixed(context.config, `Ticket ${request.ticketId}`) }
  );
}

const reply = (subject: string) => (/^re:/i.test(subject) ? subject : `Re: ${subject}`);

/**
 * The email destination: a notification whose create starts a thread under a Message-ID derived
 * from the idempotency key, and whose updates and resolve reply in that thread.
 */
export const emailDestination: TicketDestinationCapability<EmailConfig> = {
  kind: 'notification',
  defaultMapping: () => emailDefaultMapping,
  limits: (config) => ({ requestsPerSecond: config.requestsPerSecond }),

  async create(context, request) {
    const config = context.config;
    const messageId = threadMessageId(request.idempotencyKey, domain(config));
    const first = request.alerts[0];
    const subject = prefixed(
      config,
      fieldText(request.fields.subject) ?? first?.name ?? `Ticket ${request.ticketId}`,
    );
    const body = fieldText(request.fields.body) ?? alertLines(request.alerts);
    const more =
      request.alertCount > request.alerts.length
        ? `\n\n${request.alertCount} alerts in all; ${request.alerts.length} listed.`
        : '';
    await send(context, {
      messageId,
      subject,
      title: subject,
      text: `${body}${more}`,
      ticketId: request.ticketId,
      target: request.target,
    });
    await context.state.set(stateKey(request.idempotencyKey), { messageId, subject } satisfies ThreadState);
    return { remoteId: messageId };
  },

  /**
   * Mail cannot be looked up. The plugin remembers each thread it started (in its state, after
   * the server accepted the message): a known key is found; an unknown one is sent again, under
   * the same Message-ID, which mail clients and most stores deduplicate.
   */
  async find(context, request): Promise<RemoteTicket | undefined> {
    const stored = await context.state.get<ThreadState>(stateKey(request.idempotencyKey));
    return stored ? { remoteId: stored.messageId } : undefined;
  },

  async update(context, request) {
    const config = context.config;
    const thread = await threadOf(context, request);
    const fields = request.fields ?? {};
    const text =
      request.kind === 'fields'
        ? (fieldText(fields.body) ?? alertLines(request.alerts))
        : [request.comment ?? '', request.alerts.length > 0 ? `\n${alertLines(request.alerts)}` : '']
            .join('\n')
            .trim();
    const heading = request.kind === 'reopen' ? 'Reopened' : request.kind === 'fields' ? 'Updated' : 'Update';
    await send(context, {
      messageId: replyMessageId(request.idempotencyKey, domain(config), request.kind, [
        request.dedupeCount,
        text,
      ]),
      inReplyTo: thread.messageId,
      subject: reply(thread.subject),
      title: `${heading}: ${thread.subject}`,
      text: `${text}\n\nTimes seen again: ${request.dedupeCount}`,
      ticketId: request.ticketId,
      target: request.target,
    });
    return undefined;
  },

  async resolve(context, request) {
    const thread = await threadOf(context, request);
    const text = request.comment ?? 'Resolved.';
    await send(context, {
      messageId: replyMessageId(request.idempotencyKey, domain(context.config), 'resolve', [text]),
      inReplyTo: thread.messageId,
      subject: reply(thread.subject),
      title: `Resolved: ${thread.subject}`,
      text,
      ticketId: request.ticketId,
      target: request.target,
    });
  },
};

/** Checks the configuration: connects, negotiates TLS and logs in, without sending anything. */
export async function checkEmail(
  context: PluginContext<EmailConfig>,
): Promise<{ ok: true; message: string } | { ok: false; message: string; retryable?: boolean }> {
  const transport = createTransport(transportOptions(context.config));
  try {
    await transport.verify();
    return { ok: true, message: `connected to ${context.config.host}:${context.config.port}` };
  } catch (error) {
    const typed = smtpFailure(error, context.config.password ? [context.config.password] : []);
    return { ok: false, retryable: typed.retryable, message: typed.message };
  } finally {
    transport.close();
  }
}
