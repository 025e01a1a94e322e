import { CeError, type IndicatorReportInput, indicatorReportSchema } from '@ce/core';
import { parseCsvRecord } from './csv.js';
import { type FeedLine, readAllText, splitLines } from './feed-body.js';
import type { FeedFormat } from './feed-config.js';
import type { FeedRecord, RecordMapper, SkipKind } from './feed-mapping.js';

/** How to read one feed's body: the format, its settings, and the mapper from records to indicators. */
export interface FeedParser {
  format: FeedFormat;
  /** Line prefixes that mark comments. */
  commentPrefixes: ReadonlyArray<string>;
  /** CSV delimiter. */
  delimiter: string;
  /** Where CSV column names are (see the `csv.header` setting). */
  header: 'auto' | 'row' | 'comment' | 'none';
  /** The CSV column of the value, to find the header by. */
  valueColumn?: string | number;
  /** Dotted path to the records of a JSON document. */
  jsonRecords: string;
  /** Longest line accepted. */
  maxLineBytes: number;
  /** Record → indicators. */
  map: RecordMapper;
}

/** One skipped record, kept as a sample for the pull's warning. */
export interface SkipSample {
  /** Line (or JSON record) number, 1-based. */
  line: number;
  /** Why, as counted. */
  kind: SkipKind;
  /** Why, in words. */
  reason: string;
  /** The start of the record, at most 80 characters. */
  excerpt: string;
}

/** Counts of one read: records seen, indicators produced, records ignored and skipped by kind. */
export class FeedStats {
  /** Records read (lines, rows, objects), comments and blank lines not counted. */
  records = 0;
  /** Indicators produced. */
  indicators = 0;
  /** Records that were deliberately ignored (metadata lines, types mapped to `skip`). */
  ignored = 0;
  /** Skipped records by kind. */
  readonly skipped: Partial<Record<SkipKind, number>> = {};
  /** The first few skipped records. */
  readonly samples: SkipSample[] = [];

  /** Total skipped records. */
  get skippedTotal(): number {
    return Object.values(this.skipped).reduce((sum, count) => sum + (count ?? 0), 0);
  }

  /** Counts a skipped record and keeps it as a sample while there are fewer than five. */
  skip(line: number, kind: SkipKind, reason: string, excerpt: string): void {
    this.skipped[kind] = (this.skipped[kind] ?? 0) + 1;
    if (this.samples.length < 5) this.samples.push({ line, kind, reason, excerpt: excerpt.slice(0, 80) });
  }
}

const markup = /^\s*<(?:!doctype\s+html|html|head|body|\?xml|!--|title|div|p\b|h1)/i;

/** The typed error for a body that is not the declared format at all. */
export function notFormatError(
  format: FeedFormat,
  what: string,
  details: Record<string, unknown> = {},
): CeError {
  return new CeError('VALIDATION_FAILED', `feed body is not ${formatName(format)}: ${what}`, {
    details: { reason: 'wrong-format', format, ...details },
  });
}

function formatName(format: FeedFormat): string {
  return { lines: 'a list of values', csv: 'CSV', json: 'JSON', jsonl: 'JSON Lines' }[format];
}

function htmlError(format: FeedFormat): CeError {
  // An HTML page in place of a feed is usually an error, login or rate-limit page: worth a retry.
  return new CeError(
    'VALIDATION_FAILED',
    `feed body is an HTML or XML page, not ${formatName(format)} (an error, login or rate-limit page?)`,
    { kind: 'transient', retryable: true, details: { reason: 'html-body', format } },
  );
}

/**
 * Reads a feed body into indicators: splits and parses records by format, maps each, validates the
 * result against the indicator schema, and counts what it skips. Bad records never stop the read;
 * a body that is not the format at all (an HTML page, unparseable JSON, no CSV header) throws
 * `VALIDATION_FAILED`.
 */
export async function* readFeedIndicators(
  chunks: AsyncIterable<Buffer>,
  parser: FeedParser,
  stats: FeedStats,
): AsyncGenerator<IndicatorReportInput> {
  const records =
    parser.format === 'json'
      ? jsonDocumentRecords(await readAllText(chunks), parser, stats)
      : lineRecords(splitLines(chunks, parser.maxLineBytes), parser, stats);
  for await (const entry of records) {
    stats.records += 1;
    const result = parser.map(entry.record);
    if (!Array.isArray(result)) {
      const failure = result as { invalid: string; kind?: SkipKind };
      stats.skip(entry.record.line, failure.kind ?? 'invalid-value', failure.invalid, entry.excerpt);
      continue;
    }
    if (result.length === 0) {
      stats.ignored += 1;
      continue;
    }
    for (const indicator of result as ReadonlyArray<IndicatorReportInput>) {
      const checked = indicatorReportSchema.safeParse(indicator);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const reason = `${issue?.path.join('.') || 'indicator'}: ${issue?.message ?? 'invalid'}`;
        stats.skip(entry.record.line, 'invalid-indicator', reason, entry.excerpt);
        continue;
      }
      stats.indicators += 1;
      yield indicator;
    }
  }
}

interface RecordEntry {
  record: FeedRecord;
  excerpt: string;
}

function isComment(text: string, prefixes: ReadonlyArray<string>): boolean {
  const trimmed = text.trimStart();
  return prefixes.some((prefix) => trimmed.startsWith(prefix));
}

async function* lineRecords(
  lines: AsyncIterable<FeedLine>,
  parser: FeedParser,
  stats: FeedStats,
): AsyncGenerator<RecordEntry> {
  let sniffed = false;
  const csv = parser.format === 'csv' ? new CsvState(parser) : undefined;
  for await (const line of lines) {
    if (line.oversized) {
      stats.records += 1;
      stats.skip(line.line, 'oversized', `longer than ${parser.maxLineBytes} bytes`, line.excerpt);
      csv?.reset();
      continue;
    }
    const text = line.text;
    if (!sniffed && text.trim() !== '') {
      sniffed = true;
      if (markup.test(text)) throw htmlError(parser.format);
    }
    if (csv) {
      const entry = csv.accept(line.line, text, stats);
      if (entry) yield entry;
      continue;
    }
    if (text.trim() === '' || isComment(text, parser.commentPrefixes)) continue;
    if (parser.format === 'jsonl') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        stats.records += 1;
        stats.skip(line.line, 'malformed', 'not valid JSON', text);
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        stats.records += 1;
        stats.skip(line.line, 'malformed', 'not a JSON object', text);
        continue;
      }
      yield { record: jsonRecord(value, line.line, undefined), excerpt: text };
      continue;
    }
    yield { record: plainLineRecord(text, line.line, parser.commentPrefixes), excerpt: text };
  }
  if (csv) {
    const entry = csv.finish(stats);
    if (entry) yield entry;
  }
}

/**
 * A plain line: the value, and an inline comment after whitespace and a comment prefix
 * (`192.0.2.0/24 ; SBL123`). A hosts-file line (`0.0.0.0 example.com`) yields the host.
 */
function plainLineRecord(text: string, line: number, prefixes: ReadonlyArray<string>): FeedRecord {
  let value = text.trim();
  let comment: string | undefined;
  for (const prefix of prefixes) {
    const at = value.search(new RegExp(`\\s${escapeRegExp(prefix)}`));
    if (at >= 0) {
      comment = value.slice(at).trim().slice(prefix.length).trim() || undefined;
      value = value.slice(0, at).trim();
    }
  }
  const hosts = /^(?:0\.0\.0\.0|127\.0\.0\.1)\s+(\S+)$/.exec(value);
  if (hosts?.[1]) value = hosts[1];
  return {
    line,
    get: (field) => (field === 0 || field === 'value' ? value : field === 'comment' ? comment : undefined),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads a dotted path; `$` is the value itself, `$key` the key it was held under. */
export function getPath(value: unknown, path: string, key: string | undefined): unknown {
  if (path === '$') return value;
  if (path === '$key') return key;
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current =
      Array.isArray(current) && /^\d+$/.test(part)
        ? current[Number(part)]
        : (current as Record<string, unknown>)[part];
  }
  return current;
}

function jsonRecord(value: unknown, line: number, key: string | undefined): FeedRecord {
  return { line, get: (field) => getPath(value, String(field), key) };
}

async function* jsonDocumentRecords(
  text: string,
  parser: FeedParser,
  stats: FeedStats,
): AsyncGenerator<RecordEntry> {
  if (markup.test(text.slice(0, 512))) throw htmlError('json');
  if (text.trim() === '') return;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw notFormatError('json', (error as Error).message.slice(0, 200), { excerpt: text.slice(0, 80) });
  }
  const node = parser.jsonRecords === '' ? document : getPath(document, parser.jsonRecords, undefined);
  const where = parser.jsonRecords === '' ? 'the document' : `"${parser.jsonRecords}"`;
  if (node === undefined || node === null) throw notFormatError('json', `nothing at ${where}`);
  if (typeof node !== 'object') throw notFormatError('json', `${where} is not an array or an object`);
  let index = 0;
  const entry = (value: unknown, key: string | undefined): RecordEntry | undefined => {
    index += 1;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return { record: jsonRecord(value, index, key), excerpt: JSON.stringify(value).slice(0, 80) };
    }
    if (typeof value === 'string' || typeof value === 'number') {
      return { record: jsonRecord(value, index, key), excerpt: String(value) };
    }
    stats.records += 1;
    stats.skip(index, 'malformed', 'not a JSON object', JSON.stringify(value ?? null).slice(0, 80));
    return undefined;
  };
  if (Array.isArray(node)) {
    for (const item of node) {
      const next = entry(item, undefined);
      if (next) yield next;
    }
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const next = entry(item, key);
      if (next) yield next;
    }
  }
}

/** CSV reading state: the header, the expected column count, a record continued over lines. */
class CsvState {
  private columns: Map<string, number> | undefined;
  private expected: number | undefined;
  private decided = false;
  private lastComment: string | undefined;
  private pending: { line: number; text: string } | undefined;

  constructor(private readonly parser: FeedParser) {}

  reset(): void {
    this.pending = undefined;
  }

  accept(line: number, text: string, stats: FeedStats): RecordEntry | undefined {
    if (this.pending) {
      const joined = `${this.pending.text}\n${text}`;
      const start = this.pending.line;
      if (Buffer.byteLength(joined) > this.parser.maxLineBytes) {
        this.pending = undefined;
        stats.records += 1;
        stats.skip(start, 'oversized', `quoted field runs past ${this.parser.maxLineBytes} bytes`, joined);
        return undefined;
      }
      this.pending = undefined;
      return this.row(start, joined, stats);
    }
    if (text.trim() === '') return undefined;
    if (isComment(text, this.parser.commentPrefixes)) {
      if (!this.decided) this.lastComment = text;
      return undefined;
    }
    return this.row(line, text, stats);
  }

  finish(stats: FeedStats): RecordEntry | undefined {
    if (!this.pending) return undefined;
    stats.records += 1;
    stats.skip(this.pending.line, 'malformed', 'unterminated quoted field', this.pending.text);
    this.pending = undefined;
    return undefined;
  }

  private row(line: number, text: string, stats: FeedStats): RecordEntry | undefined {
    const parsed = parseCsvRecord(text, this.parser.delimiter);
    if ('incomplete' in parsed) {
      this.pending = { line, text };
      return undefined;
    }
    if ('error' in parsed) {
      if (!this.decided) throw notFormatError('csv', parsed.error, { line, excerpt: text.slice(0, 80) });
      stats.records += 1;
      stats.skip(line, 'malformed', parsed.error, text);
      return undefined;
    }
    const fields = parsed.fields;
    if (!this.decided && this.decideHeader(fields)) return undefined;
    if (this.expected === undefined) this.expected = fields.length;
    if (fields.length !== this.expected) {
      stats.records += 1;
      stats.skip(line, 'malformed', `expected ${this.expected} fields, got ${fields.length}`, text);
      return undefined;
    }
    const columns = this.columns;
    return {
      excerpt: text,
      record: {
        line,
        get: (field) => {
          if (typeof field === 'number') return fields[field];
          const index = columns?.get(field.toLowerCase());
          return index === undefined ? undefined : fields[index];
        },
      },
    };
  }

  /** Settles where the column names are; returns true when `fields` was the header row. */
  private decideHeader(fields: string[]): boolean {
    this.decided = true;
    const { valueColumn } = this.parser;
    const named = typeof valueColumn === 'string' ? valueColumn.toLowerCase() : undefined;
    const fromComment =
      this.lastComment === undefined ? undefined : commentHeader(this.lastComment, this.parser);
    let mode = this.parser.header;
    if (mode === 'auto')
      mode = named === undefined ? 'none' : fromComment?.includes(named) ? 'comment' : 'row';
    if (mode === 'none') return false;
    const names = mode === 'comment' ? fromComment : fields.map((field) => field.trim().toLowerCase());
    if (!names) throw notFormatError('csv', 'no header comment before the first row');
    if (named !== undefined && !names.includes(named)) {
      throw notFormatError('csv', `the header has no column "${valueColumn}"`, {
        header: names.slice(0, 32),
      });
    }
    this.columns = new Map(names.map((name, index) => [name, index] as const));
    this.expected = names.length;
    return mode === 'row';
  }
}

/** The column names in a comment line such as `# id,dateadded,url` or `# "first_seen_utc","ioc_id"`. */
function commentHeader(comment: string, parser: FeedParser): string[] | undefined {
  let text = comment.trimStart();
  const prefix = parser.commentPrefixes.find((candidate) => text.startsWith(candidate));
  if (prefix) text = text.slice(prefix.length);
  const parsed = parseCsvRecord(text.trim(), parser.delimiter);
  if (!('fields' in parsed) || parsed.fields.length < 2) return undefined;
  return parsed.fields.map((field) => field.trim().toLowerCase());
}
