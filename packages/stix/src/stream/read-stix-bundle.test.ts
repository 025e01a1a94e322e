import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CeError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { parseStixBundle } from '../objects/validate.js';
import { type ReadStixBundleOptions, readStixBundle, type StixStreamItem } from './read-stix-bundle.js';

const mixedBundle = readFileSync(new URL('../objects/__fixtures__/mixed-bundle.json', import.meta.url));

/** A seeded PRNG (mulberry32) so that failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunked(bytes: Uint8Array, sizes: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, sizes());
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

async function* from<T>(chunks: Iterable<T>): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk;
}

async function collect(
  chunks: Iterable<Uint8Array | string>,
  options?: ReadStixBundleOptions,
): Promise<StixStreamItem[]> {
  const items: StixStreamItem[] = [];
  for await (const item of readStixBundle(from(chunks), options)) items.push(item);
  return items;
}

async function failure(
  chunks: Iterable<Uint8Array | string>,
  options?: ReadStixBundleOptions,
): Promise<CeError> {
  try {
    await collect(chunks, options);
  } catch (error) {
    if (CeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the reader to fail');
}

function summary(items: StixStreamItem[]) {
  return {
    objects: items.flatMap((item) => (item.ok ? [item.object] : [])),
    errors: items.flatMap((item) => (item.ok ? [] : item.issues)),
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('readStixBundle', () => {
  it('yields what parseStixBundle returns, whatever the chunking', async () => {
    const expected = parseStixBundle(mixedBundle.toString('utf8'));
    expect(summary(await collect([mixedBundle]))).toEqual({
      objects: expected.objects,
      errors: expected.errors,
    });
    expect(summary(await collect(chunked(mixedBundle, () => 1)))).toEqual({
      objects: expected.objects,
      errors: expected.errors,
    });
    const next = random(7);
    for (let round = 0; round < 20; round++) {
      const items = await collect(chunked(mixedBundle, () => Math.floor(next() * 64)));
      expect(summary(items)).toEqual({ objects: expected.objects, errors: expected.errors });
      expect(items.map((item) => item.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
  });

  it('reads Node.js streams and text chunks', async () => {
    const items: StixStreamItem[] = [];
    for await (const item of readStixBundle(Readable.from(chunked(mixedBundle, () => 100)))) items.push(item);
    expect(items.filter((item) => item.ok)).toHaveLength(3);
    const text = mixedBundle.toString('utf8');
    const textChunks = text.match(/[\s\S]{1,17}/g) as string[];
    expect(summary(await collect(textChunks)).objects).toHaveLength(3);
  });

  it('splits strings, escapes and multi-byte UTF-8 anywhere', async () => {
    const indicator = {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
      created: '2016-04-06T20:03:48.000Z',
      modified: '2016-04-06T20:03:48.000Z',
      name: 'Ünïcödé 😀 \u2028 "quoted" \\ back\\slash \u0001 / \t',
      pattern: "[url:value = 'https://例え.テスト/\\'quote']",
      pattern_type: 'stix',
      valid_from: '2016-01-01T00:00:00Z',
      x_numbers: [0, -1.5e-3, 12e4, 3.25e2, true, false, null, {}, []],
    };
    const text = `\ufeff { "objects" : [ ${JSON.stringify(indicator)} ] , "id":"bundle--\\u0035d0092c5-5f74-4287-9642-33f4c354e56d", "type":"bun\\u0064le" } \n`;
    const encoded = bytes(text);
    let envelope: unknown;
    const items = await collect(
      chunked(encoded, () => 1),
      { onEnvelope: (value) => (envelope = value) },
    );
    expect(items).toEqual([{ ok: true, object: indicator, index: 0 }]);
    expect(envelope).toEqual({ id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', type: 'bundle' });
  });

  it('accepts objects before or after id and type, an empty or absent objects array', async () => {
    const object = JSON.stringify({ type: 'x-acme', id: 'x-acme--5d0092c5-5f74-4287-9642-33f4c354e56d' });
    const id = '"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"';
    expect(await collect([`{"objects":[${object}],${id},"type":"bundle"}`])).toHaveLength(1);
    expect(
      await collect([`{"type":"bundle",${id},"x_meta":{"objects":[1]},"objects":[${object}]}`]),
    ).toHaveLength(1);
    expect(await collect([`{"type":"bundle",${id},"objects":[]}`])).toEqual([]);
    expect(await collect([`{"type":"bundle",${id}}`])).toEqual([]);
  });

  it('reports a bad bundle id after the objects', async () => {
    const items = await collect([`{"type":"bundle","id":"bundle-1","objects":[]}`]);
    expect(items).toEqual([
      {
        ok: false,
        issue: { path: 'id', reason: expect.any(String) },
        issues: [expect.any(Object)],
        index: -1,
      },
    ]);
  });

  it('throws STIX_INVALID with the byte offset on malformed JSON', async () => {
    const cases: Array<[string, number]> = [
      ['{"type":"bundle","objects":[{"a":1,}]}', 35],
      ['{"type":"bundle"} x', 18],
      ['{"type":"bundle","objects":[tru]}', 31],
      ['{"type":"bundle","objects":[01]}', 29],
      ['{"type":"bundle","objects":[1.]}', 30],
      ['{"type":"bundle","objects":[-]}', 29],
      ['{"type":"bundle","objects":["a\nb"]}', 30],
      ['{"type":"bundle","objects":["\\x"]}', 30],
      ['{"type":"bundle","objects":["\\u12g4"]}', 33],
      ['{"type":"bundle","objects":[1 2]}', 30],
      ['{"type":"bundle","objects":[}', 28],
      ['{"type" "bundle"}', 8],
      ['{1:2}', 1],
      ['[]', 0],
      ['{"type":"bundle","objects":{}}', 27],
      ['{"type":"indicator","objects":[{}]}', 18],
    ];
    for (const [text, offset] of cases) {
      for (const chunks of [[text], chunked(bytes(text), () => 1)]) {
        const error = await failure(chunks);
        expect(error.code, text).toBe('STIX_INVALID');
        expect(error.details.offset, text).toBe(offset);
      }
    }
    expect((await failure(['{"type":"bundle","objects":[{}'])).message).toMatch(
      /unexpected end of input at byte 30/,
    );
    expect((await failure(['{"objects":[]}'])).message).toMatch(/no "type": "bundle"/);
  });

  it('skips an object over maxObjectBytes with an issue, and goes on', async () => {
    const small = { type: 'x-acme', id: 'x-acme--5d0092c5-5f74-4287-9642-33f4c354e56d' };
    const large = { ...small, x_padding: 'p'.repeat(5_000) };
    const text = JSON.stringify({
      type: 'bundle',
      id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
      objects: [small, large, small],
    });
    for (const chunks of [[text], chunked(bytes(text), () => 300)]) {
      const items = await collect(chunks, { maxObjectBytes: 1_000 });
      expect(items.map((item) => item.ok)).toEqual([true, false, true]);
      expect(items[1]).toMatchObject({
        issue: { path: 'objects[1]', reason: expect.stringMatching(/over the 1000-byte limit/) },
      });
    }
  });

  it('bounds nesting depth', async () => {
    const deep = `{"type":"bundle","objects":[${'['.repeat(70)}${']'.repeat(70)}]}`;
    expect((await failure([deep])).message).toMatch(/deeper than 64/);
    const error = await failure([deep], { maxDepth: 10 });
    expect(error.details.offset).toBe(28 + 8);
  });

  it('reports an element that is not valid UTF-8', async () => {
    const head = bytes('{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":["');
    const tail = bytes('"]}');
    const items = await collect([head, Uint8Array.of(0xff), tail]);
    expect(items).toEqual([
      expect.objectContaining({ ok: false, issue: { path: 'objects[0]', reason: 'is not valid UTF-8' } }),
    ]);
  });

  it('agrees with JSON.parse on random and mutated documents', async () => {
    const next = random(42);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T;
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? Math.floor(next() * 4) : Math.floor(next() * 6);
      if (kind === 0) return pick(['', 'a', 'é😀', '\\', '"', '\n', 'x'.repeat(40), '\u0000']);
      if (kind === 1) return pick([0, -1, 1.5, -2.5e-7, 1e21, 123456789]);
      if (kind === 2) return pick([true, false, null]);
      if (kind === 3) return pick(['\u2028', 'π']);
      if (kind === 4) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
      );
    };
    const alphabet = bytes('{}[],:"\\ 0-1eE.+tfnul\u00e9a');
    for (let round = 0; round < 300; round++) {
      const objects = Array.from({ length: 1 + Math.floor(next() * 3) }, () => value(0));
      let text = JSON.stringify({
        type: 'bundle',
        id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
        objects,
      });
      if (round % 2 === 1) {
        const at = Math.floor(next() * text.length);
        text =
          text.slice(0, at) +
          String.fromCharCode(pick([...alphabet])) +
          text.slice(at + (next() < 0.5 ? 1 : 0));
      }
      let parsed: unknown;
      let valid = true;
      try {
        parsed = JSON.parse(text);
      } catch {
        valid = false;
      }
      const isBundle =
        valid &&
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        (parsed as { type?: unknown }).type === 'bundle' &&
        ((parsed as { objects?: unknown }).objects === undefined ||
          Array.isArray((parsed as { objects?: unknown }).objects));
      const chunks = chunked(bytes(text), () => Math.floor(next() * 9));
      if (isBundle) {
        const items = await collect(chunks);
        const elements = ((parsed as { objects?: unknown[] }).objects ?? []).length;
        expect(items.filter((item) => item.index >= 0).length, text).toBe(elements);
      } else {
        await expect(collect(chunks), text).rejects.toMatchObject({ code: 'STIX_INVALID' });
      }
    }
  });
});
