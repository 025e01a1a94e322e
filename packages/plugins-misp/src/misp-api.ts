import { z } from 'zod';

/**
 * The parts of MISP's REST API and feed format this plugin speaks, as zod schemas. Shapes follow
 * MISP's OpenAPI description (`app/webroot/doc/openapi.yaml` in MISP/MISP, published at
 * https://www.misp-project.org/openapi/) and, where the description is silent, what MISP's
 * controllers answer (`AttributesController::add`, `RestResponseComponent::saveFailResponse`).
 * MISP serialises ids, timestamps and enumerations as strings; the schemas accept numbers too,
 * as older instances and feeds sometimes send them.
 *
 * @module
 */

/** Paths of the endpoints the plugin calls. */
export const mispApiPaths = {
  /** `POST`: filtered, paged attribute search (`restSearchAttributes`). */
  attributesRestSearch: '/attributes/restSearch',
  /** `POST /attributes/add/{eventId}`: one attribute or an array (`addAttribute`). */
  attributesAdd: '/attributes/add',
  /** `POST` (or `DELETE`) `/attributes/delete/{attributeId}`: soft delete (`deleteAttribute`). */
  attributesDelete: '/attributes/delete',
  /** `POST`: filtered, paged event search (`restSearchEvents`). */
  eventsRestSearch: '/events/restSearch',
  /** `GET /events/view/{eventId}` (`getEventById`). */
  eventsView: '/events/view',
  /** `POST`: create an event (`addEvent`). */
  eventsAdd: '/events/add',
  /** `POST /events/addTag/{eventId}` with `{ tag }` (`tagEvent`). */
  eventsAddTag: '/events/addTag',
  /** `POST /events/publish/{eventId}` (`publishEvent`). */
  eventsPublish: '/events/publish',
  /** `POST`: sightings of values (`addSightingByValue`). */
  sightingsAdd: '/sightings/add',
} as const;

/** A MISP string-or-number field (ids, timestamps, enumerations), read as a string. */
const stringish = z.union([z.string(), z.number().transform(String)]);
/** A MISP boolean that may arrive as `true`, `1`, `"1"` or `"0"`. */
const flag = z.union([
  z.boolean(),
  z.number().transform((value) => value !== 0),
  z.string().transform((value) => value !== '' && value !== '0' && value.toLowerCase() !== 'false'),
]);
/** Epoch seconds as MISP sends them (a digit string), read as a number. */
const epochSeconds = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+$/)
    .transform((text) => Number(text)),
]);

/** A tag as embedded in attributes and events (`Tag`). */
export const mispTagSchema = z
  .object({
    id: stringish.optional(),
    name: z.string(),
    colour: z.string().nullish(),
    /** Set on event tags copied onto an attribute (`includeEventTags`). */
    inherited: flag.optional(),
    local: flag.optional(),
  })
  .loose();

/** A MISP tag. */
export type MispTag = z.output<typeof mispTagSchema>;

/** One decaying model's score of an attribute (`DecayScore`). */
export const mispDecayScoreSchema = z
  .object({
    score: z.number(),
    base_score: z.number().optional(),
    decayed: flag.optional(),
    DecayingModel: z.object({ id: stringish.optional(), name: z.string().optional() }).loose().optional(),
  })
  .loose();

/**
 * The event context of an attribute in a restSearch answer. MISP includes only `id`, `info`,
 * `org_id`, `orgc_id`, `uuid`, `distribution` and `publish_timestamp`: the threat level needs a
 * separate event lookup.
 */
export const mispAttributeEventSchema = z
  .object({
    id: stringish,
    info: z.string().optional(),
    uuid: z.string().optional(),
    org_id: stringish.optional(),
    orgc_id: stringish.optional(),
    distribution: stringish.optional(),
    publish_timestamp: stringish.optional(),
  })
  .loose();

/** An attribute (`Attribute`, `AttributeRestSearchListItem`). */
export const mispAttributeSchema = z
  .object({
    id: stringish.optional(),
    event_id: stringish.optional(),
    object_id: stringish.optional(),
    uuid: z.string().optional(),
    type: z.string(),
    category: z.string().optional(),
    value: z.string(),
    to_ids: flag.optional(),
    /** Epoch seconds of the last change. */
    timestamp: epochSeconds.optional(),
    distribution: stringish.optional(),
    comment: z.string().nullish(),
    deleted: flag.optional(),
    disable_correlation: flag.optional(),
    /** ISO 8601 with microseconds, or microseconds since the epoch; `null` when unknown. */
    first_seen: stringish.nullish(),
    last_seen: stringish.nullish(),
    decay_score: z.array(mispDecayScoreSchema).optional(),
    Event: mispAttributeEventSchema.optional(),
    Tag: z.array(mispTagSchema).optional(),
  })
  .loose();

/** A MISP attribute. */
export type MispAttribute = z.output<typeof mispAttributeSchema>;

/** Answer of `POST /attributes/restSearch` with `returnFormat: 'json'`. */
export const attributesRestSearchResponseSchema = z.object({
  response: z.object({ Attribute: z.array(mispAttributeSchema) }),
});

/** An object (`Object`) of an event, with its attributes. */
export const mispObjectSchema = z
  .object({
    id: stringish.optional(),
    name: z.string().optional(),
    deleted: flag.optional(),
    Attribute: z.array(mispAttributeSchema).optional(),
  })
  .loose();

/** An event (`ExtendedEvent`); attributes and objects are absent with `metadata: true`. */
export const mispEventSchema = z
  .object({
    id: stringish.optional(),
    uuid: z.string().optional(),
    info: z.string(),
    /** `1` high, `2` medium, `3` low, `4` undefined. */
    threat_level_id: stringish.optional(),
    /** `0` initial, `1` ongoing, `2` complete. */
    analysis: stringish.optional(),
    distribution: stringish.optional(),
    published: flag.optional(),
    date: z.string().optional(),
    timestamp: epochSeconds.optional(),
    publish_timestamp: stringish.optional(),
    Tag: z.array(mispTagSchema).optional(),
    Attribute: z.array(mispAttributeSchema).optional(),
    Object: z.array(mispObjectSchema).optional(),
  })
  .loose();

/** A MISP event. */
export type MispEvent = z.output<typeof mispEventSchema>;

/** `{ Event }`: the answer of `GET /events/view/{id}` and `POST /events/add`, and a feed event file. */
export const eventEnvelopeSchema = z.object({ Event: mispEventSchema });

/** Answer of `POST /events/restSearch` with `returnFormat: 'json'`. */
export const eventsRestSearchResponseSchema = z.object({
  response: z.array(eventEnvelopeSchema),
});

/**
 * Validation errors of one attribute as `attributes/add` reports them: field → messages
 * (`{ value: ['A similar attribute already exists for this event.'] }`), or a plain message
 * (a warninglist hit).
 */
export const attributeValidationErrorsSchema = z.union([
  z.string(),
  z.record(z.string(), z.union([z.string(), z.array(z.string())])),
]);

/**
 * Answer of `POST /attributes/add/{eventId}` when at least one attribute was saved (200): the
 * saved attribute (`{ Attribute: {...} }`) or attributes (`{ Attribute: [...] }`), with the
 * failures of the others under `errors`, keyed `attribute_<index in the request>`.
 */
export const addAttributesResponseSchema = z
  .object({
    Attribute: z.union([mispAttributeSchema, z.array(mispAttributeSchema)]),
    errors: z.union([z.record(z.string(), attributeValidationErrorsSchema), z.array(z.unknown())]).optional(),
  })
  .loose();

/**
 * MISP's save failure (`saveFailResponse`), answered with status 403 when nothing was saved:
 * `{ saved: false, name, message, url, errors }`. For a single attribute `errors` holds its
 * field errors; for several, one entry per failed attribute keyed `attribute_<index>`.
 */
export const saveFailureSchema = z
  .object({
    saved: z.literal(false),
    name: z.string().optional(),
    message: z.string().optional(),
    url: z.string().optional(),
    errors: z.unknown().optional(),
  })
  .loose();

/** MISP's error body (`ApiError`, `UnauthorizedApiError`, `NotFoundApiError`). */
export const mispErrorSchema = z
  .object({
    name: z.string(),
    message: z.string(),
    url: z.string(),
  })
  .loose();

/** Answer of `POST /events/addTag/{eventId}` (`AddEventTagResponse`). */
export const addTagResponseSchema = z
  .object({
    saved: z.boolean(),
    success: z.string().nullish(),
    errors: z.string().nullish(),
  })
  .loose();

/** Answer of the attribute deletion (`DeleteAttributeResponse`). */
export const deleteAttributeResponseSchema = z.object({ message: z.string() }).loose();

/** A sighting (`Sighting`). */
export const mispSightingSchema = z
  .object({
    id: stringish,
    attribute_id: stringish.optional(),
    event_id: stringish.optional(),
    date_sighting: stringish.optional(),
    source: z.string().nullish(),
    type: stringish.optional(),
    uuid: z.string().optional(),
  })
  .loose();

/**
 * Answer of `POST /sightings/add`: `{ Sighting }` when recorded; `{ message }` (still 200) when
 * MISP refused, e.g. "Could not add the Sighting. Reason: No valid attributes found that match
 * the criteria."
 */
export const addSightingResponseSchema = z.union([
  z.object({ Sighting: mispSightingSchema }).loose(),
  z.object({ message: z.string() }).loose(),
]);

/** One entry of a feed's `manifest.json`: the event's metadata, keyed by its uuid. */
export const feedManifestEntrySchema = z
  .object({
    info: z.string().optional(),
    /** Epoch seconds of the event's last change; a feed reader refetches the event when it grows. */
    timestamp: epochSeconds,
    threat_level_id: stringish.optional(),
    analysis: stringish.optional(),
    date: z.string().optional(),
    published: flag.optional(),
    Orgc: z.object({ name: z.string().optional(), uuid: z.string().optional() }).loose().optional(),
    Tag: z.array(mispTagSchema).optional(),
  })
  .loose();

/** A feed's `manifest.json`: event uuid → metadata. */
export const feedManifestSchema = z.record(z.string(), feedManifestEntrySchema);

/** A feed manifest. */
export type MispFeedManifest = z.output<typeof feedManifestSchema>;

/** Threat levels (`ThreatLevelId`): `1` high, `2` medium, `3` low, `4` undefined. */
export const mispThreatLevels = { high: '1', medium: '2', low: '3', undefined: '4' } as const;

/** A threat level name. */
export type MispThreatLevel = keyof typeof mispThreatLevels;

/** Analysis levels (`AnalysisLevelId`). */
export const mispAnalysisLevels = { initial: '0', ongoing: '1', complete: '2' } as const;

/** An analysis level name. */
export type MispAnalysisLevel = keyof typeof mispAnalysisLevels;

/**
 * Distribution levels an event can be created with (`DistributionLevelId`, without `4`, a
 * sharing group, which needs its id).
 */
export const mispDistributions = {
  organisation: '0',
  community: '1',
  connected: '2',
  all: '3',
} as const;

/** A distribution name. */
export type MispDistribution = keyof typeof mispDistributions;

/**
 * Attribute types the plugin can turn into indicators: single values and the composite types
 * whose parts it splits (`domain|ip` gives a domain and an address).
 */
export const mispPullableTypes = [
  'url',
  'domain',
  'hostname',
  'ip-src',
  'ip-dst',
  'md5',
  'sha1',
  'sha256',
  'email',
  'email-src',
  'email-dst',
  'domain|ip',
  'hostname|port',
  'ip-src|port',
  'ip-dst|port',
  'filename|md5',
  'filename|sha1',
  'filename|sha256',
] as const;

/** An attribute type the plugin pulls. */
export type MispPullableType = (typeof mispPullableTypes)[number];

/** The message MISP gives an attribute that is already in the event (`uniqueValue` rule). */
export const mispDuplicateMessage = 'A similar attribute already exists for this event.';
