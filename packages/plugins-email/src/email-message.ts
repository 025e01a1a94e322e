import { createHash } from 'node:crypto';
import { ValidationError } from '@ce/core';
import { emailAddressSchema } from './email-config.js';

const atext = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

const digest = (value: string, length = 40) =>
  createHash('sha256').update(value).digest('hex').slice(0, length);

/** The domain part of an address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * The local part of a ticket's Message-ID: `ce-<key>` (or the key alone when it already starts
 * with `ce-`) when the key is made of characters a Message-ID may carry, otherwise `ce-` and a
 * digest of the key. Deterministic, so a resend carries the same Message-ID.
 */
export function messageIdLocalPart(idempotencyKey: string): string {
  const local = idempotencyKey.startsWith('ce-') ? idempotencyKey : `ce-${idempotencyKey}`;
  return atext.test(local) && local.length <= 200 ? local : `ce-${digest(idempotencyKey)}`;
}

/** The root Message-ID of a ticket's thread: `<ce-<key>@<domain>>`. */
export function threadMessageId(idempotencyKey: string, domain: string): string {
  return `<${messageIdLocalPart(idempotencyKey)}@${domain}>`;
}

/**
 * The Message-ID of a reply in the thread: derived from what the reply says, so that a retry of
 * the same update carries the same Message-ID (and mail clients show it once).
 */
export function replyMessageId(
  idempotencyKey: string,
  domain: string,
  kind: string,
  content: ReadonlyArray<string | number>,
): string {
  return `<${messageIdLocalPart(idempotencyKey)}.${kind}.${digest(content.join('\u0000'), 16)}@${domain}>`;
}

/**
 * Makes a text from alert data safe for a header: line breaks and other control characters become
 * spaces, so an alert name can neither inject a header nor suppress the notification.
 */
export function headerSafe(value: string, max = 900): string {
  const flat = value
    .replace(controlCharacters, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Reads a recipient list from a queue target (`"a@example.com, b@example.com"`); every address
 * is validated, and anything that is not an address is refused rather than passed to a header.
 */
export function parseAddressList(value: string, field: string): string[] {
  const addresses = value
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const issues = addresses.flatMap((address, index) =>
    emailAddressSchema.safeParse(address).success
      ? []
      : [
          {
            path: `${field}.${index}`,
            reason: 'not a valid email address (line breaks and names are not allowed)',
          },
        ],
  );
  if (issues.length > 0 || addresses.length === 0)
    throw new ValidationError(
      `invalid recipients in target field "${field}"`,
      issues.length > 0 ? issues : [{ path: field, reason: 'no address' }],
    );
  return addresses;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
const controlCharacters = /[\u0000-\u001f\u007f]+/g;

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char] as string);
}

/** A simple HTML rendering of a plain text body: escaped, paragraphs and line breaks kept. */
export function htmlBody(title: string, text: string, footer: string): string {
  const paragraphs = text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\r?\n/g, '<br>\n')}</p>`)
    .join('\n');
  return [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; font-size: 14px;">',
    `<h2 style="font-size: 16px;">${escapeHtml(title)}</h2>`,
    paragraphs,
    `<p style="color: #666; font-size: 12px;">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
}
