/**
 * The one documented list of error codes. A code is stable: callers may switch on it, dashboards
 * may count it. Each code has a default failure kind and says whether a retry can help.
 *
 * | code | kind | retryable | meaning |
 * | --- | --- | --- | --- |
 * | `CONFIG_INVALID` | config | no | a configuration (file, plugin config, module option) failed validation |
 * | `VALIDATION_FAILED` | config | no | a record, rule or request body failed validation |
 * | `RULE_INVALID` | config | no | a rule could not be parsed or validated |
 * | `PLUGIN_NOT_FOUND` | config | no | no plugin with that id is registered |
 * | `PLUGIN_INCOMPATIBLE` | config | no | a plugin declares a `specVersion` this host does not support |
 * | `PLUGIN_FAILED` | system | no | a plugin threw, returned garbage or broke its contract |
 * | `NOT_FOUND` | config | no | a named thing (configuration, record, task) does not exist |
 * | `CONFLICT` | config | no | the change conflicts with the current state (duplicate name, stale version) |
 * | `HTTP_ERROR` | transient | depends | an HTTP request failed; see `HttpError.status` |
 * | `HTTP_AUTH_FAILED` | config | no | the server answered 401 or 403 |
 * | `HTTP_RATE_LIMITED` | transient | yes | the server answered 429 and the wait exceeded the allowed ceiling |
 * | `HTTP_TIMEOUT` | transient | yes | the request did not complete in time |
 * | `HTTP_NETWORK` | transient | yes | the connection failed (refused, reset, DNS, TLS) |
 * | `HTTP_RESPONSE_TOO_LARGE` | system | no | the response body exceeded the size limit |
 * | `HTTP_RESPONSE_INVALID` | system | no | the response body did not match the expected schema |
 * | `TIMEOUT` | transient | yes | an operation other than HTTP ran out of time |
 * | `ABORTED` | transient | no | the operation was cancelled through its `AbortSignal` |
 * | `STORAGE_FAILED` | system | yes | the storage backend failed; nothing was written |
 * | `SPOOL_FULL` | transient | yes | a bounded spool or queue has no room for the entry; retry after it drains (a single entry larger than the whole bound is not retryable) |
 * | `SCHEDULER_STOPPED` | system | no | the scheduler is stopping or stopped and accepts no new work |
 * | `STIX_INVALID` | config | no | a STIX document is not usable: malformed JSON, not a bundle, or over the depth or size limit |
 * | `STIX_PATTERN_INVALID` | config | no | a STIX pattern does not parse, or is over the length or nesting limit |
 * | `NOT_SUPPORTED` | config | no | the remote side (or the protocol version it speaks) does not offer the operation, e.g. deleting on a TAXII 2.0 server |
 * | `NETWORK_FAILED` | transient | yes | a connection other than HTTP (syslog over TCP, TLS or UDP) failed: refused, reset, closed while writing, timed out connecting, name not resolved |
 * | `TLS_FAILED` | config | no | a TLS handshake failed for a reason a retry cannot fix: the peer's certificate did not verify (unknown CA, expired, wrong name), or the peer refused ours |
 * | `INTERNAL` | system | no | anything else: a bug, or an error thrown by code that is not ours |
 */
export const errorCodes = {
  CONFIG_INVALID: { kind: 'config', retryable: false },
  VALIDATION_FAILED: { kind: 'config', retryable: false },
  RULE_INVALID: { kind: 'config', retryable: false },
  PLUGIN_NOT_FOUND: { kind: 'config', retryable: false },
  PLUGIN_INCOMPATIBLE: { kind: 'config', retryable: false },
  PLUGIN_FAILED: { kind: 'system', retryable: false },
  NOT_FOUND: { kind: 'config', retryable: false },
  CONFLICT: { kind: 'config', retryable: false },
  HTTP_ERROR: { kind: 'transient', retryable: false },
  HTTP_AUTH_FAILED: { kind: 'config', retryable: false },
  HTTP_RATE_LIMITED: { kind: 'transient', retryable: true },
  HTTP_TIMEOUT: { kind: 'transient', retryable: true },
  HTTP_NETWORK: { kind: 'transient', retryable: true },
  HTTP_RESPONSE_TOO_LARGE: { kind: 'system', retryable: false },
  HTTP_RESPONSE_INVALID: { kind: 'system', retryable: false },
  TIMEOUT: { kind: 'transient', retryable: true },
  ABORTED: { kind: 'transient', retryable: false },
  STORAGE_FAILED: { kind: 'system', retryable: true },
  SPOOL_FULL: { kind: 'transient', retryable: true },
  SCHEDULER_STOPPED: { kind: 'system', retryable: false },
  STIX_INVALID: { kind: 'config', retryable: false },
  STIX_PATTERN_INVALID: { kind: 'config', retryable: false },
  NOT_SUPPORTED: { kind: 'config', retryable: false },
  NETWORK_FAILED: { kind: 'transient', retryable: true },
  TLS_FAILED: { kind: 'config', retryable: false },
  INTERNAL: { kind: 'system', retryable: false },
} as const satisfies Record<string, { kind: FailureKind; retryable: boolean }>;

/** A stable error code from {@link errorCodes}. */
export type ErrorCode = keyof typeof errorCodes;

/**
 * Who has to act on a failure: `config` (the user must fix a setting or input; retrying is
 * pointless), `transient` (the world may fix itself; retry later) or `system` (a bug or a broken
 * dependency; report it).
 */
export type FailureKind = 'config' | 'transient' | 'system';
