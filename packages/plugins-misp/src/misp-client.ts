import { CeError, HttpError, issuesFromZod, type PluginContext } from '@ce/core';
import type { z } from 'zod';
import {
  addAttributesResponseSchema,
  addSightingResponseSchema,
  addTagResponseSchema,
  attributesRestSearchResponseSchema,
  deleteAttributeResponseSchema,
  eventEnvelopeSchema,
  eventsRestSearchResponseSchema,
  feedManifestSchema,
  type MispAttribute,
  type MispEvent,
  type MispFeedManifest,
  mispApiPaths,
  mispErrorSchema,
  mispSightingSchema,
  saveFailureSchema,
} from './misp-api.js';
import type { MispConfig } from './misp-config.js';

/**
 * A client for MISP's REST API and feed files over the plugin context's HTTP client (`ctx.http`,
 * which retries 429 and 5xx answers as `Retry-After` asks). Every API call carries the
 * automation key as `Authorization` and `Accept`/`Content-Type: application/json`; feed files
 * are fetched without the key, since a feed is often hosted by someone else.
 *
 * @module
 */

/** A tag filter as restSearch takes it: names (`!name` negates), or explicit operators. */
export type MispTagFilter =
  | ReadonlyArray<string>
  | {
      /** Any of these. */
      OR?: ReadonlyArray<string>;
      /** None of these. */
      NOT?: ReadonlyArray<string>;
      /** All of these. */
      AND?: ReadonlyArray<string>;
    };

/** Filters of `POST /attributes/restSearch` (`AttributeRestSearchFilter`) the plugin uses. */
export interface MispAttributeSearch {
  /** 1-based page. */
  page?: number;
  /** Attributes per page. */
  limit?: number;
  /** Values to match (either part of a composite value matches). */
  value?: string | ReadonlyArray<string>;
  /** Attribute types. */
  type?: ReadonlyArray<string>;
  /** Attribute categories. */
  category?: ReadonlyArray<string>;
  /** Tags of the attribute or of its event. */
  tags?: MispTagFilter;
  /** Only attributes with (`true`) or without (`false`) the IDS flag. */
  to_ids?: boolean;
  /** Attribute changed at or after this epoch second, or within `[from, to]`. */
  timestamp?: number | readonly [number, number];
  /** Same as `timestamp`, always on the attribute. */
  attribute_timestamp?: number | readonly [number, number];
  /** Event published within this span (`7d`, `12h`) or since this epoch second. */
  last?: string | number;
  /** Event ids or uuids. */
  eventid?: string | ReadonlyArray<string>;
  /** Only attributes of published (`true`) or unpublished (`false`) events. */
  published?: boolean;
  /** Drop attributes on warninglists. */
  enforceWarninglist?: boolean;
  /** Copy the event's tags onto each attribute (marked `inherited`). */
  includeEventTags?: boolean;
  /** Add `decay_score` to each attribute. */
  includeDecayScore?: boolean;
  /** Leave out attributes their decaying model considers expired. */
  excludeDecayed?: boolean;
  /** Include soft-deleted attributes: `true` only deleted ones, `[0, 1]` both. */
  deleted?: boolean | readonly [0, 1];
}

/** Filters of `POST /events/restSearch` the plugin uses. */
export interface MispEventSearch {
  /** 1-based page. */
  page?: number;
  /** Events per page. */
  limit?: number;
  /** Event ids or uuids. */
  eventid?: string | ReadonlyArray<string>;
  /** Text of the event's `info`. */
  eventinfo?: string;
  /** Tags of the event. */
  tags?: MispTagFilter;
  /** Leave out attributes and objects. */
  metadata?: boolean;
}

/** What to create with `POST /events/add`. */
export interface MispEventCreate {
  info: string;
  distribution: string;
  threat_level_id: string;
  analysis: string;
  published?: boolean;
  date?: string;
  Tag?: ReadonlyArray<{ name: string }>;
}

/** One attribute to add with `POST /attributes/add/{eventId}`. */
export interface MispAttributeCreate {
  type: string;
  value: string;
  category?: string;
  to_ids?: boolean;
  comment?: string;
  /** Inherit the event's distribution (`5`) unless told otherwise. */
  distribution?: string;
  first_seen?: string;
  last_seen?: string;
  /** Tags to attach; MISP creates tags it does not know when the user may. */
  Tag?: ReadonlyArray<{ name: string }>;
}

/** The outcome of one attribute of an `attributes/add` request, in request order. */
export type MispAddOutcome =
  | { ok: true; duplicate: false; attribute?: MispAttribute }
  | { ok: true; duplicate: true }
  | { ok: false; message: string };

/** The outcome of `POST /sightings/add`. */
export type MispSightingOutcome =
  | { recorded: true; sightingId: string }
  | { recorded: false; message: string };

/** The MISP operations the capabilities use. */
export interface MispClient {
  /** `POST /attributes/restSearch`: one page of attributes. */
  searchAttributes(search: MispAttributeSearch): Promise<MispAttribute[]>;
  /** `POST /events/restSearch`: one page of events. */
  searchEvents(search: MispEventSearch): Promise<MispEvent[]>;
  /** `GET /events/view/{id}`; `undefined` when MISP answers 404. */
  viewEvent(id: string): Promise<MispEvent | undefined>;
  /** `POST /events/add`: the created event. */
  addEvent(event: MispEventCreate): Promise<MispEvent>;
  /** `POST /events/addTag/{id}` with `{ tag }`; whether MISP attached it. */
  addEventTag(eventId: string, tag: string): Promise<boolean>;
  /** `POST /events/publish/{id}`. */
  publishEvent(eventId: string): Promise<void>;
  /** `POST /attributes/add/{eventId}` with an array: one outcome per attribute, in order. */
  addAttributes(eventId: string, attributes: ReadonlyArray<MispAttributeCreate>): Promise<MispAddOutcome[]>;
  /** `POST /attributes/delete/{id}` (a soft delete); `false` when MISP no longer has it (404). */
  deleteAttribute(id: string): Promise<boolean>;
  /** `POST /sightings/add` with `{ values, source, timestamp, type }`. */
  addSighting(sighting: {
    values: ReadonlyArray<string>;
    source?: string;
    timestamp?: number;
    type?: '0' | '1' | '2';
  }): Promise<MispSightingOutcome>;
  /** `GET {feedUrl}/manifest.json`. */
  fetchFeedManifest(feedUrl: string): Promise<MispFeedManifest>;
  /** `GET {feedUrl}/{uuid}.json`; `undefined` when the file is gone (404). */
  fetchFeedEvent(feedUrl: string, uuid: string): Promise<MispEvent | undefined>;
}

/** The statuses read here instead of thrown by the HTTP client; 429 and 5xx stay with its retries. */
const inspectedStatuses = [200, 201, 204, 400, 401, 403, 404, 405] as const;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface RawResponse {
  status: number;
  text: string;
  url: string;
}

function parseJson(response: RawResponse, method: string): unknown {
  try {
    return response.text.trim() === '' ? undefined : JSON.parse(response.text);
  } catch (error) {
    throw new HttpError('HTTP_RESPONSE_INVALID', 'MISP answered with something that is not JSON', {
      method,
      url: response.url,
      status: response.status,
      body: response.text,
      cause: error,
    });
  }
}

function validate<S extends z.ZodType>(
  response: RawResponse,
  method: string,
  value: unknown,
  schema: S,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  const summary = issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.reason}` : issue.reason))
    .join('; ');
  throw new HttpError(
    'HTTP_RESPONSE_INVALID',
    `MISP's answer does not have the documented shape: ${summary}`,
    {
      method,
      url: response.url,
      status: response.status,
      body: response.text,
      cause: result.error,
      details: { issues },
    },
  );
}

function errorMessage(value: unknown): string {
  const parsed = mispErrorSchema.safeParse(value);
  if (parsed.success) return parsed.data.message.slice(0, 300);
  if (typeof value === 'object' && value !== null && 'message' in value) {
    const message = (value as { message: unknown }).message;
    if (typeof message === 'string') return message.slice(0, 300);
  }
  return 'no error message';
}

/** Flattens one attribute's validation errors into a sentence. */
function describeValidation(errors: unknown): string {
  if (typeof errors === 'string') return errors;
  if (Array.isArray(errors)) return errors.map(describeValidation).join('; ');
  if (typeof errors === 'object' && errors !== null) {
    return Object.entries(errors)
      .map(([field, messages]) => `${field}: ${describeValidation(messages)}`)
      .join('; ');
  }
  return 'rejected without a reason';
}

function isDuplicate(errors: unknown): boolean {
  return /similar attribute already exists/i.test(describeValidation(errors));
}

/** Splits `attributes/add` errors into per-index entries (`attribute_<k>`). */
function errorsByIndex(errors: unknown, count: number): Map<number, unknown> {
  const out = new Map<number, unknown>();
  if (typeof errors !== 'object' || errors === null || Array.isArray(errors)) {
    // A single attribute's failure is reported bare: a string or its field errors.
    if (count === 1 && errors !== undefined && !(Array.isArray(errors) && errors.length === 0))
      out.set(0, errors);
    return out;
  }
  const entries = Object.entries(errors);
  const keyed = entries.filter(([key]) => /^attribute_\d+$/.test(key));
  if (keyed.length === 0) {
    if (count === 1 && entries.length > 0) out.set(0, errors);
    return out;
  }
  for (const [key, value] of keyed) out.set(Number(key.slice('attribute_'.length)), value);
  return out;
}

/**
 * Creates a MISP client for one plugin call. API calls need `baseUrl` and `apiKey` in the
 * configuration; without them they fail with `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const misp = createMispClient(context);
 * const attributes = await misp.searchAttributes({ to_ids: true, timestamp: 1_717_000_000, page: 1, limit: 500 });
 * ```
 */
export function createMispClient(context: PluginContext<MispConfig>): MispClient {
  const { config } = context;

  const send = async (
    method: 'GET' | 'POST',
    path: string,
    options: { json?: unknown; idempotent?: boolean; withKey?: boolean } = {},
  ): Promise<RawResponse> => {
    const withKey = options.withKey ?? true;
    if (withKey && (!config.baseUrl || !config.apiKey)) {
      throw new CeError('CONFIG_INVALID', 'the MISP API needs baseUrl and apiKey in the configuration');
    }
    const response = await context.http.request({
      method,
      path: withKey ? `${(config.baseUrl ?? '').replace(/\/+$/, '')}${path}` : path,
      headers: {
        accept: 'application/json',
        ...(withKey ? { authorization: config.apiKey } : {}),
      },
      ...(options.json === undefined ? {} : { json: options.json }),
      responseType: 'text',
      expectStatus: inspectedStatuses,
      // Searches change nothing, so a 5xx may be retried; writes are retried only when MISP cannot
      // have acted (429, 503, refused connections), which the HTTP client decides.
      ...(options.idempotent ? { idempotent: true } : {}),
      signal: context.signal,
    });
    return { status: response.status, text: response.body, url: response.url };
  };

  /** Throws the typed error of a status outside 2xx; `accept` lists statuses the caller reads itself. */
  const raise = (method: string, response: RawResponse, body: unknown): never => {
    const init = { method, url: response.url, status: response.status, body: response.text };
    const message = errorMessage(body);
    if (response.status === 401 || response.status === 403) {
      throw new HttpError(
        'HTTP_AUTH_FAILED',
        `MISP refused the automation key or its permissions: ${message}`,
        init,
      );
    }
    if (response.status === 404) throw new HttpError('NOT_FOUND', `MISP: ${message}`, init);
    if (response.status === 405)
      throw new HttpError('HTTP_ERROR', `MISP does not allow this call: ${message}`, init);
    throw new HttpError(undefined, `status ${response.status}: ${message}`, init);
  };

  const call = async <S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    options: { json?: unknown; idempotent?: boolean } = {},
  ): Promise<z.output<S>> => {
    const response = await send(method, path, options);
    const body = parseJson(response, method);
    if (response.status >= 300) raise(method, response, body);
    return validate(response, method, body, schema);
  };

  const feedFile = async (
    feedUrl: string,
    file: string,
  ): Promise<{ response: RawResponse; body: unknown }> => {
    const url = `${feedUrl.replace(/\/+$/, '')}/${file}`;
    const response = await send('GET', url, { withKey: false });
    const body = parseJson(response, 'GET');
    return { response, body };
  };

  return {
    async searchAttributes(search) {
      const body = await call('POST', mispApiPaths.attributesRestSearch, attributesRestSearchResponseSchema, {
        json: { returnFormat: 'json', ...search },
        idempotent: true,
      });
      return body.response.Attribute;
    },

    async searchEvents(search) {
      const body = await call('POST', mispApiPaths.eventsRestSearch, eventsRestSearchResponseSchema, {
        json: { returnFormat: 'json', ...search },
        idempotent: true,
      });
      return body.response.map((envelope) => envelope.Event);
    },

    async viewEvent(id) {
      const response = await send('GET', `${mispApiPaths.eventsView}/${encodeURIComponent(id)}`);
      const body = parseJson(response, 'GET');
      if (response.status === 404) return undefined;
      if (response.status >= 300) raise('GET', response, body);
      return validate(response, 'GET', body, eventEnvelopeSchema).Event;
    },

    async addEvent(event) {
      const body = await call('POST', mispApiPaths.eventsAdd, eventEnvelopeSchema, {
        json: { Event: event },
      });
      return body.Event;
    },

    async addEventTag(eventId, tag) {
      const body = await call(
        'POST',
        `${mispApiPaths.eventsAddTag}/${encodeURIComponent(eventId)}`,
        addTagResponseSchema,
        { json: { tag } },
      );
      if (!body.saved) context.logger.warn('misp did not tag the event', { eventId, reason: body.errors });
      return body.saved;
    },

    async publishEvent(eventId) {
      const response = await send('POST', `${mispApiPaths.eventsPublish}/${encodeURIComponent(eventId)}`);
      const body = parseJson(response, 'POST');
      if (response.status >= 300) raise('POST', response, body);
    },

    async addAttributes(eventId, attributes) {
      if (attributes.length === 0) return [];
      const response = await send('POST', `${mispApiPaths.attributesAdd}/${encodeURIComponent(eventId)}`, {
        json: attributes,
      });
      const body = parseJson(response, 'POST');
      let errors: unknown;
      let saved: ReadonlyArray<MispAttribute> = [];
      if (response.status === 403 || response.status === 401) {
        // MISP answers 403 both for a refused key and for "nothing could be saved"; only the
        // latter carries `saved: false` with per-attribute errors.
        const failure = saveFailureSchema.safeParse(body);
        if (!failure.success) raise('POST', response, body);
        errors = failure.data?.errors;
      } else if (response.status >= 300) {
        raise('POST', response, body);
      } else {
        const parsed = validate(response, 'POST', body, addAttributesResponseSchema);
        errors = parsed.errors;
        saved = Array.isArray(parsed.Attribute) ? parsed.Attribute : [parsed.Attribute];
      }
      const failures = errorsByIndex(errors, attributes.length);
      return attributes.map((attribute, index): MispAddOutcome => {
        const failure = failures.get(index);
        if (failure === undefined) {
          const match = saved.find(
            (entry) => entry.type === attribute.type && entry.value === attribute.value,
          );
          return match ? { ok: true, duplicate: false, attribute: match } : { ok: true, duplicate: false };
        }
        if (isDuplicate(failure)) return { ok: true, duplicate: true };
        return { ok: false, message: describeValidation(failure).slice(0, 500) };
      });
    },

    async deleteAttribute(id) {
      const response = await send('POST', `${mispApiPaths.attributesDelete}/${encodeURIComponent(id)}`);
      const body = parseJson(response, 'POST');
      if (response.status === 404) return false;
      if (response.status >= 300) raise('POST', response, body);
      validate(response, 'POST', body, deleteAttributeResponseSchema);
      return true;
    },

    async addSighting(sighting) {
      const body = await call('POST', mispApiPaths.sightingsAdd, addSightingResponseSchema, {
        json: {
          values: sighting.values,
          type: sighting.type ?? '0',
          ...(sighting.source ? { source: sighting.source } : {}),
          ...(sighting.timestamp === undefined ? {} : { timestamp: sighting.timestamp }),
        },
      });
      const recorded = mispSightingSchema.safeParse((body as { Sighting?: unknown }).Sighting);
      if (recorded.success) return { recorded: true, sightingId: recorded.data.id };
      return { recorded: false, message: String((body as { message?: unknown }).message).slice(0, 300) };
    },

    async fetchFeedManifest(feedUrl) {
      const { response, body } = await feedFile(feedUrl, 'manifest.json');
      if (response.status >= 300) raise('GET', response, body);
      return validate(response, 'GET', body, feedManifestSchema);
    },

    async fetchFeedEvent(feedUrl, uuid) {
      // The uuid comes from a remote manifest: refuse anything that could leave the feed directory.
      if (!uuidPattern.test(uuid)) {
        throw new CeError(
          'VALIDATION_FAILED',
          `the feed manifest names an event "${uuid.slice(0, 64)}" that is not a uuid`,
        );
      }
      const { response, body } = await feedFile(feedUrl, `${uuid}.json`);
      if (response.status === 404) return undefined;
      if (response.status >= 300) raise('GET', response, body);
      return validate(response, 'GET', body, eventEnvelopeSchema).Event;
    },
  };
}
