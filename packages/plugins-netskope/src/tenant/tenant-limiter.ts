import { CeError, type Clock, systemClock } from '@ce/core';

/**
 * One request budget for a Netskope tenant, shared by every configuration, stream and capability
 * of this process that calls it. The REST API v2 allows about 4 requests per second per endpoint,
 * and a tenant's quota is the tenant's, not a configuration's: two configurations (or the threat
 * exchange and the log shipper) pulling the same tenant must share one budget or they overrun it
 * together.
 */
export interface TenantRateLimiter {
  /** The tenant's host (`acme.goskope.com`, `127.0.0.1:4010`). */
  readonly key: string;
  /** Requests per second currently granted. */
  readonly requestsPerSecond: number;
  /** Resolves when the caller may send one request; rejects with the signal's reason on abort. */
  take(signal?: AbortSignal): Promise<void>;
  /**
   * Holds every request of the tenant until `ms` from now: the tenant said so (`Retry-After` on a
   * 429, or `RateLimit-Remaining: 0` with `RateLimit-Reset`). A shorter pause than one in force
   * changes nothing.
   */
  pauseFor(ms: number): void;
  /** Requests granted so far. */
  readonly granted: number;
}

/** Options of {@link createTenantLimiterRegistry}. */
export interface TenantLimiterRegistryOptions {
  /**
   * Time source for the spacing and the pauses.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Requests per second for a tenant whose callers ask for no rate.
   * @default 4
   */
  requestsPerSecond?: number;
  /**
   * Extra spacing between grants, as a fraction of the interval, so that network jitter can never
   * bunch `requestsPerSecond + 1` arrivals into one second at the tenant.
   * @default 0.02
   */
  safetyMargin?: number;
}

/** Limiters by tenant host. */
export interface TenantLimiterRegistry {
  /**
   * The limiter of the tenant at `baseUrl` (its host is the key). When callers ask for different
   * rates, the lowest one wins for everybody: the budget is the tenant's.
   */
  forTenant(baseUrl: string, requestsPerSecond?: number): TenantRateLimiter;
  /** The limiters made so far. */
  tenants(): TenantRateLimiter[];
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host.toLowerCase();
  } catch {
    return baseUrl.toLowerCase();
  }
}

/**
 * Creates a registry of tenant limiters. Each limiter is a token bucket of capacity one (the
 * "generic cell rate" form): grants are spaced evenly at `1000 / requestsPerSecond` ms (plus the
 * safety margin), first come first served, so no window of one second ever holds more than
 * `requestsPerSecond` requests, and a pause the tenant asked for delays everybody.
 *
 * @example
 * ```ts
 * const limiters = createTenantLimiterRegistry({ clock: new FakeClock() });
 * const limiter = limiters.forTenant('https://acme.goskope.com', 4);
 * await limiter.take(signal);
 * ```
 */
export function createTenantLimiterRegistry(
  options: TenantLimiterRegistryOptions = {},
): TenantLimiterRegistry {
  const clock = options.clock ?? systemClock;
  const defaultRate = options.requestsPerSecond ?? 4;
  const margin = options.safetyMargin ?? 0.02;
  if (!(defaultRate > 0) || !(margin >= 0)) {
    throw new CeError(
      'CONFIG_INVALID',
      'tenant limiter: requestsPerSecond must be positive, safetyMargin not negative',
    );
  }
  const limiters = new Map<string, TenantRateLimiter>();

  const create = (key: string, rate: number): TenantRateLimiter => {
    let requestsPerSecond = rate;
    // The earliest time the next grant may happen, and the end of a pause the tenant asked for.
    let nextSlot = Number.NEGATIVE_INFINITY;
    let pausedUntil = Number.NEGATIVE_INFINITY;
    let granted = 0;
    const interval = (): number => (1_000 / requestsPerSecond) * (1 + margin);
    const limiter = {
      key,
      get requestsPerSecond() {
        return requestsPerSecond;
      },
      set requestsPerSecond(value: number) {
        requestsPerSecond = value;
      },
      get granted() {
        return granted;
      },
      async take(signal?: AbortSignal): Promise<void> {
        signal?.throwIfAborted();
        // Reserve a slot now (first come, first served), then sleep until it; a pause announced
        // while sleeping moves the reservation.
        for (;;) {
          const now = clock.now();
          const slot = Math.max(now, nextSlot, pausedUntil);
          nextSlot = slot + interval();
          if (slot <= now) break;
          const pauseSeen = pausedUntil;
          await clock.sleep(slot - now, signal);
          if (pausedUntil === pauseSeen || pausedUntil <= clock.now()) break;
        }
        granted += 1;
      },
      pauseFor(ms: number): void {
        if (!(ms > 0)) return;
        pausedUntil = Math.max(pausedUntil, clock.now() + ms);
      },
    };
    return limiter;
  };

  return {
    forTenant(baseUrl, requestsPerSecond) {
      const key = hostOf(baseUrl);
      const rate = requestsPerSecond !== undefined && requestsPerSecond > 0 ? requestsPerSecond : defaultRate;
      const existing = limiters.get(key) as (TenantRateLimiter & { requestsPerSecond: number }) | undefined;
      if (existing) {
        if (rate < existing.requestsPerSecond) existing.requestsPerSecond = rate;
        return existing;
      }
      const limiter = create(key, rate);
      limiters.set(key, limiter);
      return limiter;
    },
    tenants: () => [...limiters.values()],
  };
}

/**
 * The process-wide registry every Netskope capability uses by default, on the real clock: the
 * tenant's quota is counted in real time whatever clock a test gives the plugin.
 */
export const netskopeTenantLimiters: TenantLimiterRegistry = createTenantLimiterRegistry();
