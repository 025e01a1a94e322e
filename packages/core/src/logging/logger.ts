import { redactValue } from './redact.js';

/** Log levels, least to most severe. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Numeric rank of each level; a logger emits records at or above its own level. */
export const logLevelRank: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Structured fields attached to a log record. */
export type LogFields = Record<string, unknown>;

/**
 * A structured, leveled logger. Implementations must redact secrets; {@link createJsonLogger}
 * does. `child` returns a logger that adds `bindings` to every record, e.g. the plugin id.
 */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  fatal(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every record it writes. */
  child(bindings: LogFields): Logger;
}

/** One log record as handed to a {@link LogSink}. */
export interface LogRecord {
  /** Epoch milliseconds. */
  time: number;
  level: LogLevel;
  message: string;
  /** Bindings and fields merged, already redacted. */
  fields: LogFields;
}

/** Where records go: a function that writes one. */
export type LogSink = (record: LogRecord) => void;

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /**
   * Lowest level written.
   * @default 'info'
   */
  level?: LogLevel;
  /** Fields on every record. */
  bindings?: LogFields;
  /** Additional field names to redact, beyond the built-in secret-looking names. */
  redactKeys?: ReadonlyArray<string>;
  /**
   * Where each record goes.
   * @default one JSON line per record on standard error
   */
  sink?: LogSink;
  /** Time source, for tests. @default Date.now */
  now?: () => number;
}

const stderrJsonSink: LogSink = (record) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date(record.time).toISOString(), level: record.level, msg: record.message, ...record.fields })}\n`,
  );
};

/**
 * The default logger: one JSON object a line (`time`, `level`, `msg`, then the fields), secrets
 * redacted by key name and by registered value.
 *
 * @example
 * ```ts
 * const logger = createJsonLogger({ level: 'debug', bindings: { service: 'ce' } });
 * logger.child({ plugin: 'netskope' }).info('pulled', { count: 200 });
 * ```
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const minimum = logLevelRank[options.level ?? 'info'];
  const sink = options.sink ?? stderrJsonSink;
  const now = options.now ?? Date.now;
  const redactKeys = options.redactKeys ?? [];
  const build = (bindings: LogFields): Logger => {
    const write = (level: LogLevel, message: string, fields?: LogFields): void => {
      if (logLevelRank[level] < minimum) return;
      const merged = redactValue({ ...bindings, ...fields }, redactKeys) as LogFields;
      sink({ time: now(), level, message: redactValue(message) as string, fields: merged });
    };
    return {
      trace: (m, f) => write('trace', m, f),
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      fatal: (m, f) => write('fatal', m, f),
      child: (extra) => build({ ...bindings, ...extra }),
    };
  };
  return build(options.bindings ?? {});
}

/** A logger that discards everything. */
export function createNoopLogger(): Logger {
  const noop = (): void => {};
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => logger,
  };
  return logger;
}

/** A logger that keeps every record in memory, for tests. */
export interface MemoryLogger extends Logger {
  /** Records written so far, by this logger and its children. */
  readonly records: LogRecord[];
}

/** Creates a {@link MemoryLogger} that keeps every record (redacted, as a real logger would). */
export function createMemoryLogger(options: Omit<JsonLoggerOptions, 'sink'> = {}): MemoryLogger {
  const records: LogRecord[] = [];
  const logger = createJsonLogger({ level: 'trace', ...options, sink: (record) => records.push(record) });
  return Object.assign(Object.create(null) as object, logger, { records }) as MemoryLogger;
}
