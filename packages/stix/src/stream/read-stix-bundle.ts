import { CeError } from '@ce/core';
import { isStixIdentifier } from '../objects/common.js';
import {
  defaultMaxDepth,
  type StixIssue,
  type StixObject,
  type StixObjectCheck,
  validateStixObject,
} from '../objects/validate.js';
import { BundleScanner, type ScannedElement } from './bundle-scanner.js';

/**
 * Reading a STIX bundle as a stream: objects come out one by one while the bundle is read, so a
 * bundle of any size is processed in memory proportional to its largest object.
 *
 * @module
 */

/** Options of {@link readStixBundle}. */
export interface ReadStixBundleOptions {
  /**
   * Largest object accepted, in bytes of JSON; a larger one yields an issue and is skipped.
   * @default 16777216 (16 MiB)
   */
  maxObjectBytes?: number;
  /**
   * Deepest nesting accepted; the bundle is depth 1, so an object's own properties are depth 3.
   * Deeper input throws `STIX_INVALID`.
   * @default 64
   */
  maxDepth?: number;
  /** Extra checks run on each object, as in `validateStixObject`'s `checks`. */
  checks?: ReadonlyArray<StixObjectCheck>;
  /**
   * Validate the STIX patterns of indicators.
   * @default true
   */
  validatePatterns?: boolean;
  /** Called once the whole bundle was read, with its envelope. */
  onEnvelope?: (envelope: { id: string | undefined; type: string | undefined }) => void;
}

/** One element of the bundle's `objects`: a valid object, or the reason it was rejected. */
export type StixStreamItem =
  | {
      ok: true;
      object: StixObject;
      /** Position in `objects`. */
      index: number;
    }
  | {
      ok: false;
      /** The first problem (paths start with `objects[index]`). */
      issue: StixIssue;
      /** Every problem found. */
      issues: StixIssue[];
      /** Position in `objects`, or -1 for a problem with the bundle envelope. */
      index: number;
    };

/** Default of {@link ReadStixBundleOptions.maxObjectBytes}. */
export const defaultMaxObjectBytes = 16 * 1024 * 1024;

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

function failure(issues: StixIssue[], index: number): StixStreamItem {
  return { ok: false, issue: issues[0] as StixIssue, issues, index };
}

function toItem(
  element: ScannedElement,
  options: ReadStixBundleOptions,
  maxObjectBytes: number,
): StixStreamItem {
  const path = `objects[${element.index}]`;
  if (element.tooLarge)
    return failure(
      [{ path, reason: `is ${element.size} bytes, over the ${maxObjectBytes}-byte limit` }],
      element.index,
    );
  let text: string;
  try {
    text = utf8.decode(element.bytes);
  } catch {
    return failure([{ path, reason: 'is not valid UTF-8' }], element.index);
  }
  const result = validateStixObject(JSON.parse(text), {
    pathPrefix: ['objects', element.index],
    ...(options.checks ? { checks: options.checks } : {}),
    ...(options.validatePatterns === false ? { validatePatterns: false } : {}),
  });
  return result.ok
    ? { ok: true, object: result.object, index: element.index }
    : failure(result.errors, element.index);
}

/**
 * Reads a STIX 2.1 bundle from a byte or text stream (a Node.js readable, a web
 * `ReadableStream`, any async iterable of chunks) and yields each element of `objects` as soon
 * as it has been read: `{ ok: true, object }` when valid, `{ ok: false, issue }` when not, and
 * the stream goes on. The whole bundle is never held in memory: an incremental scanner finds
 * each element's bytes and parses that element alone. `objects` may come before or after `id`
 * and `type`. Malformed JSON, a value that is not a bundle, or nesting over `maxDepth` throws a
 * `STIX_INVALID` `CeError` with the byte offset in `details.offset`.
 *
 * @example
 * ```ts
 * for await (const item of readStixBundle(createReadStream('enterprise-attack.json'))) {
 *   if (item.ok) store(item.object);
 *   else log.warn('skipped STIX object', item.issue);
 * }
 * ```
 */
export async function* readStixBundle(
  source: AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream,
  options: ReadStixBundleOptions = {},
): AsyncGenerator<StixStreamItem, void, undefined> {
  const maxObjectBytes = options.maxObjectBytes ?? defaultMaxObjectBytes;
  const ready: StixStreamItem[] = [];
  const scanner = new BundleScanner(
    { maxDepth: options.maxDepth ?? defaultMaxDepth, maxObjectBytes },
    (element) => ready.push(toItem(element, options, maxObjectBytes)),
  );
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    scanner.push(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    if (ready.length > 0) yield* ready.splice(0);
  }
  scanner.end();
  if (scanner.bundleType !== 'bundle')
    throw new CeError('STIX_INVALID', 'not a STIX bundle: it has no "type": "bundle"', {
      details: { offset: scanner.position },
    });
  if (
    scanner.bundleId === undefined ||
    !isStixIdentifier(scanner.bundleId) ||
    !scanner.bundleId.startsWith('bundle--')
  )
    yield failure([{ path: 'id', reason: 'must be an identifier "bundle--<RFC 4122 UUID>"' }], -1);
  options.onEnvelope?.({ id: scanner.bundleId, type: scanner.bundleType });
}
