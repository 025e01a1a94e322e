import { configJsonSchema, findSecretPaths, HttpError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { netskopeConfigSchema } from '../cte/netskope-plugin.js';
import { mapNetskopeError, netskopeErrorMessage, refusedEntries, v1Error } from './netskope-errors.js';
import { netskopeBaseUrl, netskopeHttpSettings, netskopeTenantSettingsSchema } from './tenant-settings.js';

describe('tenant settings', () => {
  it('builds https://<tenant>.goskope.com from a name, a host name or a URL', () => {
    expect(netskopeBaseUrl('Acme')).toBe('https://acme.goskope.com');
    expect(netskopeBaseUrl('acme.eu.goskope.com')).toBe('https://acme.eu.goskope.com');
    expect(netskopeBaseUrl('https://acme.goskope.com/')).toBe('https://acme.goskope.com');
    expect(netskopeBaseUrl('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010');
  });

  it('sends the token as Netskope-Api-Token and spaces requests at 4 per second by default', () => {
    const settings = netskopeTenantSettingsSchema.parse({ tenant: 'acme', apiToken: 'v2-token-123' });
    expect(netskopeHttpSettings(settings)).toEqual({
      baseUrl: 'https://acme.goskope.com',
      headers: { 'netskope-api-token': 'v2-token-123' },
      rateLimit: { requestsPerSecond: 4, burst: 1 },
    });
  });

  it('marks both tokens as secrets, so the host stores them apart and redacts them', () => {
    expect(findSecretPaths(netskopeConfigSchema)).toEqual([['apiToken'], ['v1Token']]);
    const json = configJsonSchema(netskopeConfigSchema) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(json.properties.apiToken).toMatchObject({ secret: true, writeOnly: true });
    expect(json.properties.requestsPerSecond).toMatchObject({ default: 4 });
  });

  it('refuses a tenant that is neither a name, a host nor a URL', () => {
    const parsed = netskopeTenantSettingsSchema.safeParse({ tenant: 'acme corp', apiToken: 'v2-token-123' });
    expect(parsed.success).toBe(false);
  });
});

describe('error mapping', () => {
  const failed = (status: number, body?: string) =>
    new HttpError(undefined, `status ${status}`, {
      method: 'PUT',
      url: 'https://acme.goskope.com/api/v2/policy/urllist/7',
      status,
      ...(body === undefined ? {} : { body }),
    });

  it('maps 400, 404 and 409 to the SDK codes with the tenant message, and keeps the others', () => {
    const invalid = mapNetskopeError(
      failed(400, '{"message":"data.type must be exact or regex"}'),
      'replace URL list 7',
    );
    expect(invalid).toMatchObject({
      code: 'VALIDATION_FAILED',
      kind: 'config',
      status: 400,
      message: expect.stringContaining(
        'Netskope replace URL list 7 failed (status 400): data.type must be exact or regex',
      ),
    });
    expect(mapNetskopeError(failed(404, '{"message":"URL list not found"}'), 'x')).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(mapNetskopeError(failed(409), 'x')).toMatchObject({ code: 'CONFLICT' });
    expect(mapNetskopeError(failed(401, '{"msg":"Unauthorized","success":false}'), 'x')).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      message: expect.stringContaining('Unauthorized'),
    });
    expect(mapNetskopeError(failed(503), 'x')).toMatchObject({ code: 'HTTP_ERROR', retryable: true });
    const other = new Error('boom');
    expect(mapNetskopeError(other, 'x')).toBe(other);
  });

  it('reads the entries a URL list write was refused for', () => {
    const error = failed(
      400,
      JSON.stringify({
        message: [
          ['a b.test', 'Malformed URL'],
          ['*x.test', "'*' must lead"],
        ],
      }),
    );
    expect(refusedEntries(error)).toEqual([
      { entry: 'a b.test', reason: 'Malformed URL' },
      { entry: '*x.test', reason: "'*' must lead" },
    ]);
    expect(refusedEntries(failed(400, '{"message":"plain"}'))).toEqual([]);
    expect(refusedEntries(failed(500, '{"message":[["a","b"]]}'))).toEqual([]);
    expect(netskopeErrorMessage('{"err":"Too many requests","error_code":429}')).toBe('Too many requests');
    expect(netskopeErrorMessage('<html>')).toBeUndefined();
  });

  it('maps v1 error envelopes, auth problems to HTTP_AUTH_FAILED', () => {
    expect(v1Error('update', 'Authorization Error', ['Invalid token'])).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
    });
    expect(v1Error('update', 'General Error', ['File list x does not exist'])).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Netskope update failed: General Error: File list x does not exist',
    });
  });
});
