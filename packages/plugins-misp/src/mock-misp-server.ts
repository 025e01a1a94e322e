import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import {
  createMockServer,
  type MockHandler,
  type MockRequest,
  type MockResponse,
  type MockServer,
  type RecordedRequest,
} from '@ce/plugin-kit';

/**
 * An in-process MISP instance for tests and the reference host's offline demo. It speaks the
 * documented wire format of the endpoints the plugin uses (MISP's OpenAPI description and the
 * controllers behind it): the automation key in `Authorization` (403 with MISP's
 * `{ name, message, url }` body otherwise), JSON only when the client asks for it with
 * `Accept: application/json` (MISP renders HTML otherwise), restSearch filters with `OR`/`NOT`
 * tag syntax and `page`/`limit` paging, events, attributes with MISP's duplicate rule and soft
 * deletion, sightings, and a MISP-format feed directory (`manifest.json` + `<uuid>.json`).
 *
 * @module
 */

/** An attribute to seed. */
export interface MispMockAttributeSeed {
  type: string;
  value: string;
  /** @default the type's usual category */
  category?: string;
  /** @default true */
  to_ids?: boolean;
  comment?: string;
  /** Epoch seconds of the last change. @default the server's clock */
  timestamp?: number;
  /** ISO 8601. */
  first_seen?: string;
  /** ISO 8601. */
  last_seen?: string;
  /** Soft-deleted. @default false */
  deleted?: boolean;
  tags?: ReadonlyArray<string>;
  /** Score (0-100) of the mock's one decaying model; attributes below 30 count as decayed. */
  decayScore?: number;
}

/** An event to seed. */
export interface MispMockEventSeed {
  /** @default a random uuid */
  uuid?: string;
  info: string;
  /** `1` high, `2` medium, `3` low, `4` undefined. @default '4' */
  threat_level_id?: '1' | '2' | '3' | '4';
  /** @default '0' */
  analysis?: '0' | '1' | '2';
  /** @default '0' */
  distribution?: string;
  /** @default true */
  published?: boolean;
  /** Epoch seconds. @default the newest attribute timestamp, or the server's clock */
  timestamp?: number;
  tags?: ReadonlyArray<string>;
  attributes?: ReadonlyArray<MispMockAttributeSeed>;
}

/** Options of {@link startMispMockServer}. */
export interface MispMockServerOptions {
  /** The automation key the server accepts. */
  apiKey: string;
  /** Events held by the instance. @default [] */
  events?: ReadonlyArray<MispMockEventSeed>;
  /** Events published as a MISP-format feed under `feedPath`. @default [] */
  feedEvents?: ReadonlyArray<MispMockEventSeed>;
  /** Where the feed lives. @default '/feeds/cloud-exchange' */
  feedPath?: string;
  /** Values on the instance's warninglists, dropped by restSearch with `enforceWarninglist`. @default [] */
  warninglist?: ReadonlyArray<string>;
  /** The server's clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** An attribute as the mock holds it. */
export interface MispMockAttribute {
  id: string;
  event_id: string;
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: boolean;
  timestamp: number;
  comment: string;
  deleted: boolean;
  first_seen: string | null;
  last_seen: string | null;
  distribution: string;
  tags: string[];
  decayScore?: number;
}

/** An event as the mock holds it. */
export interface MispMockEvent {
  id: string;
  uuid: string;
  info: string;
  threat_level_id: string;
  analysis: string;
  distribution: string;
  published: boolean;
  timestamp: number;
  publish_timestamp: number;
  date: string;
  tags: string[];
}

/** A sighting the mock recorded. */
export interface MispMockSighting {
  id: string;
  attribute_id: string;
  event_id: string;
  value: string;
  source: string;
  type: string;
  date_sighting: number;
}

/** The running mock. */
export interface MispMockServer {
  /** Base URL of the instance (no trailing slash). */
  readonly url: string;
  /** URL of the feed directory. */
  readonly feedUrl: string;
  /** The underlying kit server, for faults (`failNext`), delays and rate limits. */
  readonly server: MockServer;
  /** Requests received, in order. */
  readonly requests: RecordedRequest[];
  /** Events held, in id order. */
  events(): MispMockEvent[];
  /** Attributes held (soft-deleted ones included), in id order. */
  attributes(eventId?: string): MispMockAttribute[];
  /** Sightings recorded. */
  sightings(): MispMockSighting[];
  /** Adds an event (as a MISP user would in the UI). */
  addEvent(seed: MispMockEventSeed): MispMockEvent;
  /** Adds an attribute to an event. */
  addAttribute(eventId: string, seed: MispMockAttributeSeed): MispMockAttribute;
  /** Changes an attribute; its timestamp moves to the server's clock unless given. */
  updateAttribute(id: string, change: Partial<Omit<MispMockAttribute, 'id' | 'event_id'>>): MispMockAttribute;
  /** Replaces the events of the feed; manifest timestamps follow the events'. */
  setFeedEvents(events: ReadonlyArray<MispMockEventSeed>): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const authFailedMessage =
  'Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.';

const defaultCategories: Readonly<Record<string, string>> = {
  md5: 'Payload delivery',
  sha1: 'Payload delivery',
  sha256: 'Payload delivery',
  'filename|md5': 'Payload delivery',
  'filename|sha1': 'Payload delivery',
  'filename|sha256': 'Payload delivery',
  'email-src': 'Payload delivery',
  'email-dst': 'Network activity',
  email: 'Social network',
  link: 'External analysis',
  comment: 'Other',
  text: 'Other',
};

const knownTypes = new Set([
  ...Object.keys(defaultCategories),
  'url',
  'domain',
  'hostname',
  'ip-src',
  'ip-dst',
  'domain|ip',
  'hostname|port',
  'ip-src|port',
  'ip-dst|port',
  'uri',
  'user-agent',
]);

const hashLengths: Readonly<Record<string, number>> = { md5: 32, sha1: 40, sha256: 64 };

/** MISP's value check, reduced to the types the plugin writes. */
function valueIsValid(type: string, value: string): boolean {
  if (type === 'ip-src' || type === 'ip-dst') {
    const [address, prefix, extra] = value.split('/');
    if (extra !== undefined || !address || isIP(address) === 0) return false;
    return prefix === undefined || /^\d{1,3}$/.test(prefix);
  }
  const length = hashLengths[type];
  if (length) return new RegExp(`^[0-9a-f]{${length}}$`, 'i').test(value);
  if (type.includes('|')) return value.split('|').length === 2;
  return true;
}

interface Filter {
  OR: string[];
  NOT: string[];
  AND: string[];
}

/** MISP's `convert_filters`: a list with `!`-negated names, a `&&` string, or explicit operators. */
function convertFilter(raw: unknown): Filter | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const out: Filter = { OR: [], NOT: [], AND: [] };
  const add = (item: unknown): void => {
    const text = String(item);
    if (text === '') return;
    if (text.startsWith('!')) out.NOT.push(text.slice(1));
    else out.OR.push(text);
  };
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
    for (const part of String(raw).split('&&')) add(part);
  } else if (Array.isArray(raw)) {
    for (const item of raw) add(item);
  } else if (typeof raw === 'object') {
    const record = raw as Record<string, unknown>;
    for (const operator of ['OR', 'NOT', 'AND'] as const) {
      const list = record[operator];
      if (list !== undefined) out[operator].push(...(Array.isArray(list) ? list : [list]).map(String));
    }
  }
  return out.OR.length + out.NOT.length + out.AND.length > 0 ? out : undefined;
}

function matchesFilter(filter: Filter | undefined, candidates: ReadonlyArray<string>): boolean {
  if (!filter) return true;
  const has = (name: string) =>
    candidates.some((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (filter.OR.length > 0 && !filter.OR.some(has)) return false;
  if (filter.NOT.some(has)) return false;
  return filter.AND.every(has);
}

const unitSeconds: Readonly<Record<string, number>> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** MISP's `resolveTimeDelta`: `7d`, `12h`, an epoch second, or an ISO date. */
function resolveTime(value: unknown, nowSeconds: number): number {
  const text = String(value).trim();
  const delta = /^(\d+)([dhms])$/.exec(text);
  if (delta) return nowSeconds - Number(delta[1]) * (unitSeconds[delta[2] as string] as number);
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) ? Math.floor(parsed / 1_000) : 0;
}

function inTimeRange(value: number, filter: unknown, nowSeconds: number): boolean {
  if (filter === undefined || filter === null || filter === '') return true;
  if (Array.isArray(filter) && filter.length === 2) {
    const [a, b] = [resolveTime(filter[0], nowSeconds), resolveTime(filter[1], nowSeconds)];
    return value >= Math.min(a, b) && value <= Math.max(a, b);
  }
  return value >= resolveTime(filter, nowSeconds);
}

function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'true';
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/**
 * Starts a mock MISP instance on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const misp = await startMispMockServer({
 *   apiKey: 'a'.repeat(40),
 *   events: [{ info: 'Phishing wave', threat_level_id: '1', tags: ['tlp:green'],
 *     attributes: [{ type: 'domain', value: 'login-example.test' }] }],
 * });
 * // config: { baseUrl: misp.url, apiKey: 'a'.repeat(40) }
 * await misp.close();
 * ```
 */
export async function startMispMockServer(options: MispMockServerOptions): Promise<MispMockServer> {
  const server = await createMockServer();
  const now = options.now ?? Date.now;
  const nowSeconds = (): number => Math.floor(now() / 1_000);
  const feedPath = (options.feedPath ?? '/feeds/cloud-exchange').replace(/\/+$/, '');
  const warninglist = new Set((options.warninglist ?? []).map((value) => value.toLowerCase()));
  const events = new Map<string, MispMockEvent>();
  const attributes: MispMockAttribute[] = [];
  const sightings: MispMockSighting[] = [];
  const tagIds = new Map<string, string>();
  let feedEvents: Array<{ event: MispMockEvent; attributes: MispMockAttribute[] }> = [];
  let nextEventId = 1;
  let nextAttributeId = 1;
  let nextSightingId = 1;

  const captureTag = (name: string): string => {
    let id = tagIds.get(name);
    if (!id) {
      id = String(tagIds.size + 1);
      tagIds.set(name, id);
    }
    return id;
  };
  const tagJson = (name: string, inherited = false) => ({
    id: captureTag(name),
    name,
    colour: name.startsWith('tlp:') ? '#ffffff' : '#0088cc',
    numerical_value: null,
    ...(inherited ? { inherited: true } : {}),
  });

  const makeAttribute = (eventId: string, seed: MispMockAttributeSeed, id: string): MispMockAttribute => {
    for (const tag of seed.tags ?? []) captureTag(tag);
    return {
      id,
      event_id: eventId,
      uuid: randomUUID(),
      type: seed.type,
      category: seed.category ?? defaultCategories[seed.type] ?? 'Network activity',
      value: seed.value,
      to_ids: seed.to_ids ?? true,
      timestamp: seed.timestamp ?? nowSeconds(),
      comment: seed.comment ?? '',
      deleted: seed.deleted ?? false,
      first_seen: seed.first_seen ?? null,
      last_seen: seed.last_seen ?? null,
      distribution: '5',
      tags: [...(seed.tags ?? [])],
      ...(seed.decayScore === undefined ? {} : { decayScore: seed.decayScore }),
    };
  };

  const makeEvent = (seed: MispMockEventSeed, id: string, attributeTimestamps: number[]): MispMockEvent => {
    for (const tag of seed.tags ?? []) captureTag(tag);
    const timestamp =
      seed.timestamp ?? (attributeTimestamps.length > 0 ? Math.max(...attributeTimestamps) : nowSeconds());
    const published = seed.published ?? true;
    return {
      id,
      uuid: seed.uuid ?? randomUUID(),
      info: seed.info,
      threat_level_id: seed.threat_level_id ?? '4',
      analysis: seed.analysis ?? '0',
      distribution: seed.distribution ?? '0',
      published,
      timestamp,
      publish_timestamp: published ? timestamp : 0,
      date: new Date(timestamp * 1_000).toISOString().slice(0, 10),
      tags: [...(seed.tags ?? [])],
    };
  };

  const addEvent = (seed: MispMockEventSeed): MispMockEvent => {
    const id = String(nextEventId++);
    const created = (seed.attributes ?? []).map((attribute) =>
      makeAttribute(id, attribute, String(nextAttributeId++)),
    );
    const event = makeEvent(
      seed,
      id,
      created.map((attribute) => attribute.timestamp),
    );
    events.set(id, event);
    attributes.push(...created);
    return event;
  };

  const setFeedEvents = (seeds: ReadonlyArray<MispMockEventSeed>): void => {
    feedEvents = seeds.map((seed, index) => {
      const created = (seed.attributes ?? []).map((attribute, position) =>
        makeAttribute(String(index + 1), attribute, String(position + 1)),
      );
      return {
        event: makeEvent(
          seed,
          String(index + 1),
          created.map((a) => a.timestamp),
        ),
        attributes: created,
      };
    });
  };

  for (const seed of options.events ?? []) addEvent(seed);
  setFeedEvents(options.feedEvents ?? []);

  const findEvent = (idOrUuid: string): MispMockEvent | undefined =>
    events.get(idOrUuid) ?? [...events.values()].find((event) => event.uuid === idOrUuid);

  const attributeJson = (
    attribute: MispMockAttribute,
    extra: { eventTags?: boolean; decay?: boolean; withEvent?: boolean } = {},
  ) => {
    const event = events.get(attribute.event_id);
    const tags = [
      ...attribute.tags.map((name) => tagJson(name)),
      ...(extra.eventTags && event ? event.tags.map((name) => tagJson(name, true)) : []),
    ];
    return {
      id: attribute.id,
      event_id: attribute.event_id,
      object_id: '0',
      object_relation: null,
      category: attribute.category,
      type: attribute.type,
      value: attribute.value,
      to_ids: attribute.to_ids,
      uuid: attribute.uuid,
      timestamp: String(attribute.timestamp),
      distribution: attribute.distribution,
      sharing_group_id: '0',
      comment: attribute.comment,
      deleted: attribute.deleted,
      disable_correlation: false,
      first_seen: attribute.first_seen,
      last_seen: attribute.last_seen,
      ...(extra.withEvent && event
        ? {
            Event: {
              org_id: '1',
              distribution: event.distribution,
              publish_timestamp: String(event.publish_timestamp),
              id: event.id,
              info: event.info,
              orgc_id: '1',
              uuid: event.uuid,
            },
          }
        : {}),
      ...(tags.length > 0 ? { Tag: tags } : {}),
      ...(extra.decay && attribute.decayScore !== undefined
        ? {
            decay_score: [
              {
                score: attribute.decayScore,
                base_score: 80,
                decayed: attribute.decayScore < 30,
                DecayingModel: { id: '1', name: 'NIDS Simple Decaying Model' },
              },
            ],
          }
        : {}),
    };
  };

  const eventJson = (
    event: MispMockEvent,
    metadata: boolean,
    own: MispMockAttribute[] | undefined = undefined,
  ) => {
    const held =
      own ?? attributes.filter((attribute) => attribute.event_id === event.id && !attribute.deleted);
    return {
      id: event.id,
      orgc_id: '1',
      org_id: '1',
      date: event.date,
      threat_level_id: event.threat_level_id,
      info: event.info,
      published: event.published,
      uuid: event.uuid,
      attribute_count: String(held.length),
      analysis: event.analysis,
      timestamp: String(event.timestamp),
      distribution: event.distribution,
      proposal_email_lock: false,
      locked: false,
      publish_timestamp: String(event.publish_timestamp),
      sharing_group_id: '0',
      disable_correlation: false,
      extends_uuid: '',
      Org: { id: '1', name: 'ORGNAME', uuid: 'c5de83b4-36ba-49d6-9530-2a315caeece6' },
      Orgc: { id: '1', name: 'ORGNAME', uuid: 'c5de83b4-36ba-49d6-9530-2a315caeece6' },
      ...(event.tags.length > 0 ? { Tag: event.tags.map((name) => tagJson(name)) } : {}),
      ...(metadata
        ? {}
        : { Attribute: held.map((attribute) => attributeJson(attribute)), ShadowAttribute: [], Object: [] }),
    };
  };

  const apiError = (status: number, message: string, url: string): MockResponse => ({
    status,
    json: { name: message, message, url },
  });

  /** Wraps an API handler: the key check, MISP's HTML answer to a client that did not ask for JSON. */
  const api =
    (handler: MockHandler): MockHandler =>
    (request) => {
      if (request.headers.authorization !== options.apiKey)
        return apiError(403, authFailedMessage, request.path);
      if (!(request.headers.accept ?? '').includes('application/json')) {
        return {
          headers: { 'content-type': 'text/html; charset=UTF-8' },
          body: '<!DOCTYPE html><html><head><title>MISP</title></head><body>Users - MISP</body></html>',
        };
      }
      return handler(request);
    };

  const jsonBody = (request: MockRequest): Record<string, unknown> => {
    if (request.body.trim() === '') return {};
    const parsed = request.json<unknown>();
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  };

  const page = <T>(items: T[], filters: Record<string, unknown>): T[] => {
    if (filters.limit === undefined || filters.limit === null) return items;
    const limit = Math.max(0, Number(filters.limit) || 0);
    const pageNumber = Math.max(1, Number(filters.page ?? 1) || 1);
    return limit === 0 ? items : items.slice((pageNumber - 1) * limit, pageNumber * limit);
  };

  const postOnly: MockHandler = (request) =>
    apiError(405, 'This function is only accessible via POST requests.', request.path);

  server.route(
    'POST',
    '/attributes/restSearch',
    api((request) => {
      const filters = jsonBody(request);
      if (filters.returnFormat !== undefined && filters.returnFormat !== 'json') {
        return apiError(404, 'Invalid output format.', request.path);
      }
      const at = nowSeconds();
      const values = list(filters.value).map((value) => value.toLowerCase());
      const types = convertFilter(filters.type);
      const categories = convertFilter(filters.category);
      const tags = convertFilter(filters.tags);
      const eventIds = list(filters.eventid);
      const deleted = filters.deleted;
      const includeBoth = Array.isArray(deleted) && deleted.length === 2;
      const onlyDeleted = !includeBoth && truthy(deleted);
      const enforce = truthy(filters.enforceWarninglist);
      const decay = truthy(filters.includeDecayScore) || truthy(filters.excludeDecayed);
      const matched = attributes.filter((attribute) => {
        const event = events.get(attribute.event_id);
        if (!event) return false;
        if (!includeBoth && attribute.deleted !== onlyDeleted) return false;
        if (values.length > 0) {
          const parts = [attribute.value, ...attribute.value.split('|')].map((part) => part.toLowerCase());
          if (!values.some((value) => parts.includes(value))) return false;
        }
        if (!matchesFilter(types, [attribute.type])) return false;
        if (!matchesFilter(categories, [attribute.category])) return false;
        if (!matchesFilter(tags, [...attribute.tags, ...event.tags])) return false;
        if (
          filters.to_ids !== undefined &&
          filters.to_ids !== null &&
          attribute.to_ids !== truthy(filters.to_ids)
        )
          return false;
        if (
          filters.published !== undefined &&
          filters.published !== null &&
          event.published !== truthy(filters.published)
        )
          return false;
        if (eventIds.length > 0 && !eventIds.includes(event.id) && !eventIds.includes(event.uuid))
          return false;
        if (!inTimeRange(attribute.timestamp, filters.timestamp, at)) return false;
        if (!inTimeRange(attribute.timestamp, filters.attribute_timestamp, at)) return false;
        if (!inTimeRange(event.timestamp, filters.event_timestamp, at)) return false;
        if (filters.last !== undefined && !inTimeRange(event.publish_timestamp, filters.last, at))
          return false;
        if (enforce && attribute.value.split('|').some((part) => warninglist.has(part.toLowerCase())))
          return false;
        if (truthy(filters.excludeDecayed) && attribute.decayScore !== undefined && attribute.decayScore < 30)
          return false;
        return true;
      });
      const selected = page(matched, filters);
      return {
        headers: { 'x-result-count': String(matched.length) },
        json: {
          response: {
            Attribute: selected.map((attribute) =>
              attributeJson(attribute, {
                eventTags: truthy(filters.includeEventTags),
                decay,
                withEvent: true,
              }),
            ),
          },
        },
      };
    }),
  );
  server.route('GET', '/attributes/restSearch', api(postOnly));

  server.route(
    'POST',
    '/events/restSearch',
    api((request) => {
      const filters = jsonBody(request);
      if (filters.returnFormat !== undefined && filters.returnFormat !== 'json') {
        return apiError(404, 'Invalid output format.', request.path);
      }
      const eventIds = list(filters.eventid);
      const tags = convertFilter(filters.tags ?? filters.event_tags);
      const info = typeof filters.eventinfo === 'string' ? filters.eventinfo : undefined;
      // MISP matches `eventinfo` with SQL LIKE: `%` is a wildcard, and the collation ignores case.
      const infoPattern = info
        ? new RegExp(`^${info.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`, 'i')
        : undefined;
      const matched = [...events.values()].filter((event) => {
        if (eventIds.length > 0 && !eventIds.includes(event.id) && !eventIds.includes(event.uuid))
          return false;
        if (infoPattern && !infoPattern.test(event.info)) return false;
        if (!matchesFilter(tags, event.tags)) return false;
        if (
          filters.published !== undefined &&
          filters.published !== null &&
          event.published !== truthy(filters.published)
        )
          return false;
        return true;
      });
      const selected = page(matched, filters);
      return {
        headers: { 'x-result-count': String(matched.length) },
        json: { response: selected.map((event) => ({ Event: eventJson(event, truthy(filters.metadata)) })) },
      };
    }),
  );

  server.route(
    'GET',
    '/events/view/:id',
    api((request) => {
      const event = findEvent(request.params.id as string);
      if (!event) return apiError(404, 'Invalid event.', request.path);
      return { json: { Event: eventJson(event, false) } };
    }),
  );

  server.route(
    'POST',
    '/events/add',
    api((request) => {
      const body = jsonBody(request);
      const data = (body.Event ?? body) as Record<string, unknown>;
      const info = typeof data.info === 'string' ? data.info.trim() : '';
      if (info === '') {
        return {
          status: 403,
          json: {
            saved: false,
            name: 'Could not add Event',
            message: 'Could not add Event',
            url: '/events/add',
            errors: { info: ['Info cannot be empty.'] },
          },
        };
      }
      const tags = Array.isArray(data.Tag)
        ? data.Tag.map((tag) => String((tag as { name?: unknown }).name ?? '')).filter((name) => name !== '')
        : [];
      const inline = Array.isArray(data.Attribute)
        ? (data.Attribute as Array<MispMockAttributeSeed & { Tag?: Array<{ name?: unknown }> }>)
        : [];
      const event = addEvent({
        info,
        threat_level_id: String(data.threat_level_id ?? '4') as MispMockEventSeed['threat_level_id'],
        analysis: String(data.analysis ?? '0') as MispMockEventSeed['analysis'],
        distribution: String(data.distribution ?? '0'),
        published: truthy(data.published),
        timestamp: nowSeconds(),
        tags,
        attributes: inline.map(({ Tag, ...attribute }) => ({
          ...attribute,
          tags: (Tag ?? []).map((tag) => String(tag.name ?? '')).filter((name) => name !== ''),
        })),
      });
      return { json: { Event: eventJson(event, false) } };
    }),
  );

  const addTag: MockHandler = (request) => {
    const event = findEvent(request.params.id as string);
    if (!event) return { json: { saved: false, errors: 'Invalid event.' } };
    const body = jsonBody(request);
    const requested = String(request.params.tag ?? body.tag ?? '');
    const name = /^\d+$/.test(requested)
      ? [...tagIds.entries()].find(([, id]) => id === requested)?.[0]
      : tagIds.has(requested)
        ? requested
        : undefined;
    if (!name) return { json: { saved: false, errors: 'Invalid Tag.' } };
    if (!event.tags.includes(name)) {
      event.tags.push(name);
      event.timestamp = nowSeconds();
    }
    return { json: { saved: true, success: 'Tag added.', check_publish: true } };
  };
  server.route('POST', '/events/addTag/:id', api(addTag));
  server.route('POST', /^\/events\/addTag\/(?<id>[^/]+)\/(?<tag>[^/]+?)(?:\/local:[01])?$/, api(addTag));

  server.route(
    'POST',
    '/events/publish/:id',
    api((request) => {
      const event = findEvent(request.params.id as string);
      if (!event) return apiError(404, 'Invalid event.', request.path);
      event.published = true;
      event.publish_timestamp = nowSeconds();
      return {
        json: {
          saved: true,
          success: true,
          name: 'Job queued',
          message: 'Job queued',
          url: `/events/publish/${event.id}`,
          id: event.id,
        },
      };
    }),
  );

  server.route(
    'POST',
    '/attributes/add/:eventId',
    api((request) => {
      const event = findEvent(request.params.eventId as string);
      if (!event) return apiError(404, 'Invalid event', request.path);
      const body = jsonBody(request) as unknown;
      const data = (
        Array.isArray(body) ? body : ((body as { Attribute?: unknown }).Attribute ?? body)
      ) as unknown;
      const items = (Array.isArray(data) ? data : [data]) as Array<Record<string, unknown>>;
      const fails: Record<string, unknown> = {};
      const saved: MispMockAttribute[] = [];
      items.forEach((item, index) => {
        const type = String(item.type ?? '');
        const value = String(item.value ?? '').trim();
        const category = String(item.category ?? defaultCategories[type] ?? 'Network activity');
        let errors: Record<string, string[]> | undefined;
        if (!knownTypes.has(type)) errors = { type: ['Options depend on the selected category.'] };
        else if (value === '') errors = { value: ['The value cannot be empty.'] };
        else if (!valueIsValid(type, value))
          errors = {
            value: [
              'Value not in the right type/format. Please double check the value or select type "other".',
            ],
          };
        else if (
          attributes.some(
            (existing) =>
              existing.event_id === event.id &&
              !existing.deleted &&
              existing.type === type &&
              existing.category === category &&
              existing.value.toLowerCase() === value.toLowerCase(),
          )
        )
          errors = { value: ['A similar attribute already exists for this event.'] };
        if (errors) {
          fails[`attribute_${index}`] = errors;
          return;
        }
        const tags = Array.isArray(item.Tag)
          ? (item.Tag as Array<{ name?: unknown }>)
              .map((tag) => String(tag.name ?? ''))
              .filter((name) => name !== '')
          : [];
        const attribute = makeAttribute(
          event.id,
          {
            type,
            value,
            category,
            to_ids: item.to_ids === undefined ? true : truthy(item.to_ids),
            comment: typeof item.comment === 'string' ? item.comment : '',
            timestamp: nowSeconds(),
            ...(typeof item.first_seen === 'string' ? { first_seen: item.first_seen } : {}),
            ...(typeof item.last_seen === 'string' ? { last_seen: item.last_seen } : {}),
            tags,
          },
          String(nextAttributeId++),
        );
        attributes.push(attribute);
        saved.push(attribute);
      });
      if (saved.length === 0) {
        return {
          status: 403,
          json: {
            saved: false,
            name: 'Could not add Attribute',
            message: 'Could not add Attribute',
            url: '/attributes/add',
            errors: items.length === 1 ? fails.attribute_0 : fails,
          },
        };
      }
      // Adding attributes unpublishes the event, as in MISP.
      event.published = false;
      event.timestamp = nowSeconds();
      const errors = Object.keys(fails).length > 0 ? { errors: fails } : {};
      if (saved.length === 1) {
        const only = saved[0] as MispMockAttribute;
        const { Tag: _tags, ...plain } = attributeJson(only);
        return {
          json: {
            Attribute: plain,
            AttributeTag: only.tags.map((name, position) => ({
              id: String(position + 1),
              attribute_id: only.id,
              event_id: only.event_id,
              tag_id: captureTag(name),
              Tag: tagJson(name),
            })),
            ...errors,
          },
        };
      }
      return { json: { Attribute: saved.map((attribute) => attributeJson(attribute)), ...errors } };
    }),
  );

  const deleteAttribute: MockHandler = (request) => {
    const id = request.params.id as string;
    const attribute = attributes.find((candidate) => candidate.id === id || candidate.uuid === id);
    if (!attribute || attribute.deleted) return apiError(404, 'Invalid attribute', request.path);
    attribute.deleted = true;
    attribute.timestamp = nowSeconds();
    return { json: { message: 'Attribute deleted.' } };
  };
  server.route('POST', '/attributes/delete/:id', api(deleteAttribute));
  server.route('DELETE', '/attributes/delete/:id', api(deleteAttribute));
  server.route('GET', '/attributes/delete/:id', api(postOnly));

  server.route(
    'POST',
    '/sightings/add',
    api((request) => {
      const body = jsonBody(request);
      const values = (body.value !== undefined ? [body.value] : list(body.values)).map((value) =>
        String(value).toLowerCase(),
      );
      const matching = attributes.filter(
        (attribute) =>
          !attribute.deleted &&
          [attribute.value, ...attribute.value.split('|')].some((part) =>
            values.includes(part.toLowerCase()),
          ),
      );
      if (matching.length === 0) {
        return {
          json: {
            message: 'Could not add the Sighting. Reason: No valid attributes found that match the criteria.',
          },
        };
      }
      const when = body.timestamp === undefined ? nowSeconds() : Number(body.timestamp);
      let last: MispMockSighting | undefined;
      for (const attribute of matching) {
        last = {
          id: String(nextSightingId++),
          attribute_id: attribute.id,
          event_id: attribute.event_id,
          value: attribute.value,
          source: typeof body.source === 'string' ? body.source : '',
          type: String(body.type ?? '0'),
          date_sighting: when,
        };
        sightings.push(last);
      }
      const sighting = last as MispMockSighting;
      return {
        json: {
          Sighting: {
            id: sighting.id,
            attribute_id: sighting.attribute_id,
            event_id: sighting.event_id,
            org_id: '1',
            date_sighting: String(sighting.date_sighting),
            uuid: randomUUID(),
            source: sighting.source,
            type: sighting.type,
          },
        },
      };
    }),
  );

  // The feed is a plain directory on a web server: no key, `manifest.json` and one file per event.
  server.route('GET', `${feedPath}/manifest.json`, () => ({
    json: Object.fromEntries(
      feedEvents.map(({ event }) => [
        event.uuid,
        {
          Orgc: { name: 'ORGNAME', uuid: 'c5de83b4-36ba-49d6-9530-2a315caeece6' },
          Tag: event.tags.map((name) => ({ colour: '#ffffff', local: false, name, relationship_type: '' })),
          info: event.info,
          date: event.date,
          analysis: event.analysis,
          threat_level_id: event.threat_level_id,
          timestamp: String(event.timestamp),
        },
      ]),
    ),
  }));
  server.route(
    'GET',
    new RegExp(`^${feedPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?<uuid>[^/]+)\\.json$`),
    (request) => {
      const found = feedEvents.find(({ event }) => event.uuid === request.params.uuid);
      if (!found) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
      return { json: { Event: eventJson(found.event, false, found.attributes) } };
    },
  );

  return {
    url: server.url,
    feedUrl: `${server.url}${feedPath}`,
    server,
    requests: server.requests,
    events: () => [...events.values()].map((event) => ({ ...event, tags: [...event.tags] })),
    attributes: (eventId) =>
      attributes
        .filter((attribute) => eventId === undefined || attribute.event_id === eventId)
        .map((attribute) => ({ ...attribute, tags: [...attribute.tags] })),
    sightings: () => sightings.map((sighting) => ({ ...sighting })),
    addEvent,
    addAttribute(eventId, seed) {
      const event = events.get(eventId);
      if (!event) throw new Error(`no event ${eventId}`);
      const attribute = makeAttribute(eventId, seed, String(nextAttributeId++));
      attributes.push(attribute);
      event.timestamp = Math.max(event.timestamp, attribute.timestamp);
      return { ...attribute };
    },
    updateAttribute(id, change) {
      const attribute = attributes.find((candidate) => candidate.id === id);
      if (!attribute) throw new Error(`no attribute ${id}`);
      Object.assign(attribute, change);
      if (change.timestamp === undefined) attribute.timestamp = nowSeconds();
      return { ...attribute, tags: [...attribute.tags] };
    },
    setFeedEvents,
    close: () => server.close(),
  };
}
