import { CeError, HttpError, type PluginContext } from '@ce/core';
import { TaxiiClient, type TaxiiCollection, type TaxiiVersion } from '@ce/taxii';
import { type TaxiiPluginConfig, taxiiAuthOf } from './taxii-config.js';

/** Where a configuration's collection is, as found on the server. */
export interface ResolvedTaxiiCollection {
  /** Absolute URL of the API root. */
  apiRoot: string;
  /** The collection resource, with the configured credentials' permissions. */
  collection: TaxiiCollection;
  /** The TAXII version the server speaks. */
  version: TaxiiVersion;
  /** The API root's `max_content_length`, when it was read. */
  maxContentLength?: number;
}

interface CachedResolution extends ResolvedTaxiiCollection {
  /** What the resolution was made for; a changed configuration resolves again. */
  for: string;
  at: number;
}

const cacheKey = 'taxii-collection';
/** How long a resolved collection is reused before discovery runs again. */
const cacheTtlMs = 3_600_000;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function resolutionKey(config: TaxiiPluginConfig): string {
  return JSON.stringify([config.url, config.apiRoot ?? '', config.collection, config.version]);
}

/**
 * A TAXII client over the context's HTTP client, so the host's proxy, CA, rate limit and retry
 * settings apply; the version is the configured one, or the one found before.
 */
export function createTaxiiClient(
  context: PluginContext<TaxiiPluginConfig>,
  knownVersion?: TaxiiVersion,
): TaxiiClient {
  const { config } = context;
  const auth = taxiiAuthOf(config);
  return new TaxiiClient({
    url: config.url,
    ...(auth ? { auth } : {}),
    httpClient: context.http,
    version: config.version === 'auto' ? (knownVersion ?? 'auto') : config.version,
    clock: context.clock,
    // Status polling waits on the context's clock; bounded so a push never hangs on a slow server.
    statusPolling: { initialDelayMs: 1_000, maxDelayMs: 10_000, timeoutMs: 60_000 },
  });
}

/** Finds the configured collection by id, then alias, then title (exact, then ignoring case). */
export function findCollection(
  collections: ReadonlyArray<TaxiiCollection>,
  wanted: string,
): TaxiiCollection | undefined {
  const lower = wanted.toLowerCase();
  return (
    collections.find((collection) => collection.id === wanted) ??
    collections.find((collection) => collection.alias === wanted) ??
    collections.find((collection) => collection.title === wanted) ??
    collections.find((collection) => collection.id.toLowerCase() === lower) ??
    collections.find((collection) => collection.alias?.toLowerCase() === lower) ??
    collections.find((collection) => collection.title.toLowerCase() === lower)
  );
}

/**
 * Resolves the API root and the collection: discovery (or the configured API root), then the
 * API root's collections. A collection given by id that the listing leaves out is read directly
 * (some servers list only part of what a client may use).
 */
export async function resolveCollection(
  client: TaxiiClient,
  context: PluginContext<TaxiiPluginConfig>,
  options: { readApiRoot?: boolean } = {},
): Promise<ResolvedTaxiiCollection> {
  const { config, signal } = context;
  const version = await client.getVersion(signal);
  let apiRoot: string;
  if (config.apiRoot) {
    try {
      apiRoot = new URL(config.apiRoot, config.url).toString();
    } catch (error) {
      throw new CeError('CONFIG_INVALID', 'apiRoot is not a valid URL', { cause: error });
    }
  } else {
    apiRoot = await client.defaultApiRoot(signal);
  }
  if (!apiRoot.endsWith('/')) apiRoot += '/';
  const collections = await client.getCollections(apiRoot, signal);
  let collection = findCollection(collections, config.collection);
  if (!collection && uuidPattern.test(config.collection)) {
    try {
      collection = await client.getCollection(apiRoot, config.collection, signal);
    } catch (error) {
      if (!(HttpError.isInstance(error) && (error as HttpError).status === 404)) throw error;
    }
  }
  if (!collection) {
    const known = collections.map((item) => `"${item.title}" (${item.id})`).slice(0, 20);
    throw new CeError(
      'NOT_FOUND',
      `no collection "${config.collection}" in API root ${apiRoot}${
        known.length > 0 ? `; it has ${known.join(', ')}` : '; it lists no collection for these credentials'
      }`,
    );
  }
  const resolved: ResolvedTaxiiCollection = { apiRoot, collection, version };
  if (options.readApiRoot) {
    const root = await client.getApiRoot(apiRoot, signal);
    if (root.max_content_length > 0) resolved.maxContentLength = root.max_content_length;
  }
  return resolved;
}

/**
 * {@link resolveCollection}, reused from the configuration's state for an hour so a pull or a
 * push does not run discovery every time.
 */
export async function cachedCollection(
  context: PluginContext<TaxiiPluginConfig>,
): Promise<{ client: TaxiiClient; resolved: ResolvedTaxiiCollection }> {
  const key = resolutionKey(context.config);
  const cached = await context.state.get<CachedResolution>(cacheKey);
  if (cached && cached.for === key && context.clock.now() - cached.at < cacheTtlMs) {
    const { for: _for, at: _at, ...resolved } = cached;
    return { client: createTaxiiClient(context, resolved.version), resolved };
  }
  const client = createTaxiiClient(context);
  const resolved = await resolveCollection(client, context, { readApiRoot: true });
  const entry: CachedResolution = { ...resolved, for: key, at: context.clock.now() };
  await context.state.set(cacheKey, entry);
  return { client, resolved };
}

/** Forgets the cached resolution, e.g. after the server answered 404 for the collection. */
export async function forgetCollection(context: PluginContext<TaxiiPluginConfig>): Promise<void> {
  await context.state.delete(cacheKey);
}
