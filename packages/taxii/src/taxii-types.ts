/**
 * The TAXII resources as they travel on the wire (TAXII 2.1, section 4 and 5). Field names keep
 * the specification's snake_case so a resource can be logged, stored or forwarded unchanged.
 */

/**
 * A STIX object as TAXII sees it: a JSON object with an `id` and a `type`. TAXII never looks
 * further than the identity and version fields, so the rest stays opaque.
 */
export type TaxiiObject = Record<string, unknown> & {
  /** STIX identifier, `<type>--<uuid>`. */
  id: string;
  /** STIX type, e.g. `indicator`. */
  type: string;
  /** STIX specification version (`2.1`); absent on STIX 2.0 objects. */
  spec_version?: string;
  /** Creation timestamp; absent on STIX cyber-observables. */
  created?: string;
  /** Version timestamp; absent on objects that cannot be versioned. */
  modified?: string;
};

/** The discovery resource (`GET {discovery}/`). */
export interface TaxiiDiscovery {
  /** Human-readable name of the server. */
  title: string;
  /** What the server offers. */
  description?: string;
  /** Who to contact about the server. */
  contact?: string;
  /** URL of the API root a client should use when it has no other preference. */
  default?: string;
  /** URLs of the API roots this server announces. */
  api_roots?: string[];
}

/** The API root resource (`GET {api-root}/`). */
export interface TaxiiApiRoot {
  /** Human-readable name of the API root. */
  title: string;
  /** What the API root holds. */
  description?: string;
  /** Media types of the TAXII versions it speaks (`application/taxii+json;version=2.1`, or `taxii-2.0`). */
  versions: string[];
  /** Largest request body, in bytes, the API root accepts. */
  max_content_length: number;
}

/** A collection resource, with the caller's permissions. */
export interface TaxiiCollection {
  /** Collection identifier (a UUID). */
  id: string;
  /** Human-readable name. */
  title: string;
  /** What the collection holds. */
  description?: string;
  /** A short, URL-safe alternative name. */
  alias?: string;
  /** Whether the caller may read objects. */
  can_read: boolean;
  /** Whether the caller may add and delete objects. */
  can_write: boolean;
  /** Media types of the objects it holds. */
  media_types?: string[];
}

/** One entry of a manifest: the metadata of one object version. */
export interface TaxiiManifestEntry {
  /** Object identifier. */
  id: string;
  /** When this version was added to the collection. */
  date_added: string;
  /** The version (the object's `modified`, else `created`, else `date_added`). */
  version: string;
  /** Media type of this version, e.g. `application/stix+json;version=2.1`. */
  media_type?: string;
}

/** One object's outcome in a status resource. */
export interface TaxiiStatusDetail {
  /** Object identifier. */
  id: string;
  /** Object version, when known. */
  version?: string;
  /** Why it failed, or a note about its success. */
  message?: string;
}

/** The status resource of an add-objects request (`GET {api-root}/status/{id}/`). */
export interface TaxiiStatus {
  /** Status identifier. */
  id: string;
  /** `pending` while objects are still being ingested, then `complete`. */
  status: 'pending' | 'complete';
  /** When the request was received. */
  request_timestamp?: string;
  /** Objects in the request. */
  total_count: number;
  /** Objects stored. */
  success_count: number;
  /** Objects stored, one entry each. */
  successes?: TaxiiStatusDetail[];
  /** Objects rejected. */
  failure_count: number;
  /** Objects rejected, with the reason. */
  failures?: TaxiiStatusDetail[];
  /** Objects not processed yet. */
  pending_count: number;
  /** Objects not processed yet, one entry each. */
  pendings?: TaxiiStatusDetail[];
}

/** The TAXII error message resource, the body of every error response. */
export interface TaxiiErrorMessage {
  /** Short, human-readable summary. */
  title: string;
  /** Longer explanation. */
  description?: string;
  /** Identifier of this occurrence, for support. */
  error_id?: string;
  /** Server-specific error code. */
  error_code?: string;
  /** The HTTP status, as a string. */
  http_status?: string;
  /** A URL with more information. */
  external_details?: string;
  /** Server-specific details. */
  details?: Record<string, unknown>;
}
