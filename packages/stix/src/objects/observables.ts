import { isIPv6 } from 'node:net';
import { z } from 'zod';
import {
  hashesSchema,
  hexSchema,
  identifierOfSchema,
  observableCommonShape,
  stixObjectSchema,
  timestampSchema,
  uriSchema,
} from './common.js';

/**
 * STIX Cyber-observable Objects (SCOs) the package models: the ones that carry an indicator value.
 * Other SCO types are validated on their common properties only and pass through.
 *
 * @module
 */

const ipv4Pattern =
  /^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(\/(3[0-2]|[1-2][0-9]|[0-9]))?$/;

function isIpv6Value(text: string): boolean {
  // The schema's own IPv6 regex is broken (`d` for `\d`); node's parser is the reference here.
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0 && !/^(12[0-8]|1[01][0-9]|[1-9][0-9]|[0-9])$/.test(text.slice(slash + 1))) return false;
  const zone = address.indexOf('%');
  return isIPv6(zone < 0 ? address : address.slice(0, zone)) && (zone < 0 || zone < address.length - 1);
}

function isEmailAddress(text: string): boolean {
  const at = text.lastIndexOf('@');
  return at > 0 && at < text.length - 1 && !/[\s<>]/.test(text);
}

/** zod schema of a `url` SCO. */
export const urlSchema = stixObjectSchema({
  ...observableCommonShape,
  type: z.literal('url'),
  value: uriSchema,
});

/** zod schema of a `domain-name` SCO. */
export const domainNameSchema = stixObjectSchema({
  ...observableCommonShape,
  type: z.literal('domain-name'),
  value: z.string().min(1),
  resolves_to_refs: z
    .array(identifierOfSchema('ipv4-addr', 'ipv6-addr', 'domain-name'))
    .min(1)
    .optional(),
});

/** zod schema of an `ipv4-addr` SCO (an address or a CIDR block). */
export const ipv4AddressSchema = stixObjectSchema({
  ...observableCommonShape,
  type: z.literal('ipv4-addr'),
  value: z.string().regex(ipv4Pattern, 'must be an IPv4 address or CIDR block'),
  resolves_to_refs: z.array(identifierOfSchema('mac-addr')).min(1).optional(),
  belongs_to_refs: z.array(identifierOfSchema('autonomous-system')).min(1).optional(),
});

/** zod schema of an `ipv6-addr` SCO (an address or a CIDR block). */
export const ipv6AddressSchema = stixObjectSchema({
  ...observableCommonShape,
  type: z.literal('ipv6-addr'),
  value: z.string().refine(isIpv6Value, 'must be an IPv6 address or CIDR block'),
  resolves_to_refs: z.array(identifierOfSchema('mac-addr')).min(1).optional(),
  belongs_to_refs: z.array(identifierOfSchema('autonomous-system')).min(1).optional(),
});

/** zod schema of an `email-addr` SCO. */
export const emailAddressSchema = stixObjectSchema({
  ...observableCommonShape,
  type: z.literal('email-addr'),
  value: z.string().refine(isEmailAddress, 'must be an email address without a display name'),
  display_name: z.string().optional(),
  belongs_to_ref: identifierOfSchema('user-account').optional(),
});

/** zod schema of a `file` SCO. */
export const fileSchema = stixObjectSchema(
  {
    ...observableCommonShape,
    type: z.literal('file'),
    hashes: hashesSchema.optional(),
    size: z.number().int().nonnegative().optional(),
    name: z.string().optional(),
    name_enc: z
      .string()
      .regex(/^[a-zA-Z0-9/.+_:-]{2,250}$/, 'must be a character set name')
      .optional(),
    magic_number_hex: hexSchema.optional(),
    mime_type: z.string().optional(),
    ctime: timestampSchema.optional(),
    mtime: timestampSchema.optional(),
    atime: timestampSchema.optional(),
    parent_directory_ref: identifierOfSchema('directory').optional(),
    contains_refs: z.array(z.string()).min(1).optional(),
    content_ref: identifierOfSchema('artifact').optional(),
  },
  (file, ctx) => {
    if (file.hashes === undefined && file.name === undefined)
      ctx.addIssue({ code: 'custom', message: 'a file needs hashes or name' });
  },
);

/** A `url` SCO. */
export type StixUrl = z.output<typeof urlSchema>;
/** A `domain-name` SCO. */
export type StixDomainName = z.output<typeof domainNameSchema>;
/** An `ipv4-addr` SCO. */
export type StixIpv4Address = z.output<typeof ipv4AddressSchema>;
/** An `ipv6-addr` SCO. */
export type StixIpv6Address = z.output<typeof ipv6AddressSchema>;
/** An `email-addr` SCO. */
export type StixEmailAddress = z.output<typeof emailAddressSchema>;
/** A `file` SCO. */
export type StixFile = z.output<typeof fileSchema>;

/** The SCO types defined by STIX 2.1. */
export const observableTypes = [
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
] as const;
