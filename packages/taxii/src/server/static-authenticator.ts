import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TaxiiPrincipal } from './collection-store.js';

/**
 * Resolves the principal of a request from its credentials; `undefined` means "not
 * authenticated" and the server answers 401.
 */
export type TaxiiAuthenticator = (
  req: IncomingMessage,
) => TaxiiPrincipal | undefined | Promise<TaxiiPrincipal | undefined>;

/** One Basic-auth user of {@link createStaticAuthenticator}. */
export interface StaticUser {
  /** User name. */
  username: string;
  /** Password. */
  password: string;
  /**
   * The principal it authenticates as.
   * @default { id: username }
   */
  principal?: TaxiiPrincipal;
}

/** One bearer token or API key of {@link createStaticAuthenticator}. */
export interface StaticToken {
  /** The token or key. */
  token: string;
  /** The principal it authenticates as. */
  principal: TaxiiPrincipal;
}

/** Options of {@link createStaticAuthenticator}. */
export interface StaticAuthenticatorOptions {
  /** Users accepted with `Authorization: Basic`. */
  users?: ReadonlyArray<StaticUser>;
  /** Tokens accepted with `Authorization: Bearer`. */
  tokens?: ReadonlyArray<StaticToken>;
  /** API keys accepted in a named header, e.g. `x-api-key`. */
  apiKeys?: {
    /** Header name, case-insensitive. */
    header: string;
    /** The keys. */
    keys: ReadonlyArray<StaticToken>;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Finds the entry whose secret equals `candidate`, comparing digests in constant time and always
 * walking the whole list, so neither the length nor the position of a secret leaks in timing.
 */
function findConstantTime<T>(
  entries: ReadonlyArray<T>,
  secretOf: (entry: T) => string,
  candidate: string,
): T | undefined {
  const wanted = digest(candidate);
  let found: T | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(digest(secretOf(entry)), wanted) && found === undefined) found = entry;
  }
  return found;
}

/**
 * An authenticator for a fixed set of users, bearer tokens and API keys, compared in constant
 * time. Meant for small deployments and tests; a host with an identity provider passes its own
 * `authenticate` function instead.
 *
 * @example
 * ```ts
 * const authenticate = createStaticAuthenticator({
 *   users: [{ username: 'analyst', password: process.env.TAXII_PASSWORD ?? '' }],
 *   tokens: [{ token: process.env.TAXII_TOKEN ?? '', principal: { id: 'feeder', groups: ['writers'] } }],
 * });
 * const handler = createTaxiiServer({ authenticate, ... });
 * ```
 */
export function createStaticAuthenticator(options: StaticAuthenticatorOptions): TaxiiAuthenticator {
  const users = options.users ?? [];
  const tokens = options.tokens ?? [];
  const apiKeyHeader = options.apiKeys?.header.toLowerCase();
  const apiKeys = options.apiKeys?.keys ?? [];
  return (req) => {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string') {
      const space = authorization.indexOf(' ');
      const scheme = authorization.slice(0, space < 0 ? undefined : space).toLowerCase();
      const credential = space < 0 ? '' : authorization.slice(space + 1).trim();
      if (scheme === 'basic' && users.length > 0) {
        const decoded = Buffer.from(credential, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) return undefined;
        const username = decoded.slice(0, colon);
        const password = decoded.slice(colon + 1);
        const user = findConstantTime(
          users,
          (entry) => `${entry.username}\u0000${entry.password}`,
          `${username}\u0000${password}`,
        );
        return user ? (user.principal ?? { id: user.username }) : undefined;
      }
      if (scheme === 'bearer' && tokens.length > 0) {
        return findConstantTime(tokens, (entry) => entry.token, credential)?.principal;
      }
    }
    if (apiKeyHeader) {
      const key = req.headers[apiKeyHeader];
      if (typeof key === 'string') return findConstantTime(apiKeys, (entry) => entry.token, key)?.principal;
    }
    return undefined;
  };
}
