/**
 * The host's Prometheus metrics, rendered in the text exposition format 0.0.4. Counters are fed
 * from the exchange's `plugin-call-finished` events and the scheduler's `task-run-*` events; the
 * configuration gauge is read from storage at scrape time, so it is never stale.
 *
 * @module
 */
import type { LogShipper } from '@ce/cls';
import type { CloudExchange } from '@ce/core';
import type { ThreatExchange } from '@ce/cte';

/** The content type of the text exposition format. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** Upper bounds (seconds) of the duration histograms: plugin calls range from milliseconds to minutes. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type Labels = Record<string, string>;

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels));
}

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelKey(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  render(lines: string[]): void {
    header(lines, this.name, this.help, 'counter');
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${formatLabels(labels)} ${formatValue(value)}`);
  }
}

class Histogram {
  private readonly values = new Map<
    string,
    { labels: Labels; buckets: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: ReadonlyArray<number> = durationBuckets,
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let entry = this.values.get(key);
    if (!entry) {
      entry = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.values.set(key, entry);
    }
    this.bounds.forEach((bound, index) => {
      if (value <= bound && entry) entry.buckets[index] = (entry.buckets[index] ?? 0) + 1;
    });
    entry.sum += value;
    entry.count += 1;
  }

  render(lines: string[]): void {
    header(lines, this.name, this.help, 'histogram');
    for (const { labels, buckets, sum, count } of this.values.values()) {
      this.bounds.forEach((bound, index) => {
        lines.push(
          `${this.name}_bucket${formatLabels({ ...labels, le: formatValue(bound) })} ${buckets[index] ?? 0}`,
        );
      });
      lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
  }
}

function header(lines: string[], name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): void {
  lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
}

function gauge(lines: string[], name: string, help: string, samples: ReadonlyArray<[Labels, number]>): void {
  header(lines, name, help, 'gauge');
  for (const [labels, value] of samples) lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
}

/** What the host measures and how it renders it. */
export interface HostMetrics {
  /** Records one answered HTTP request; `route` is the route pattern, never the raw path. */
  observeRequest(method: string, route: string, status: number, durationSeconds: number): void;
  /** The exposition text. */
  render(): Promise<string>;
  /** Unsubscribes from the exchange's events. */
  dispose(): void;
}

/** Options of {@link createHostMetrics}. */
export interface HostMetricsOptions {
  /** The threat exchange module: adds the indicator gauges and counters. */
  cte?: ThreatExchange;
  /** The log shipper module: adds its per-stream and per-sink counters and gauges. */
  cls?: LogShipper;
}

/**
 * Subscribes to the exchange's events and renders the host's metrics.
 *
 * @example
 * ```ts
 * const metrics = createHostMetrics(exchange, { cte: exchange.modules.cte });
 * response.end(await metrics.render());
 * ```
 */
export function createHostMetrics(exchange: CloudExchange, options: HostMetricsOptions = {}): HostMetrics {
  const { cte, cls } = options;
  const pluginCalls = new Counter(
    'ce_plugin_calls_total',
    'Calls into plugins, by plugin, configuration, operation and outcome.',
  );
  const pluginDurations = new Histogram('ce_plugin_call_duration_seconds', 'Duration of calls into plugins.');
  const taskRuns = new Counter(
    'ce_scheduler_task_runs_total',
    'Scheduled task runs, by task and outcome (skipped runs included).',
  );
  const requests = new Counter(
    'ce_http_requests_total',
    'HTTP requests answered by the host, by method, route and status.',
  );
  const requestDurations = new Histogram(
    'ce_http_request_duration_seconds',
    'Duration of HTTP requests answered by the host.',
  );

  const ingested = new Counter(
    'ce_indicators_ingested_total',
    'Indicators a source reported that were new (outcome "new") or changed ("updated").',
  );
  const shared = new Counter(
    'ce_indicators_shared_total',
    'Indicators a destination accepted, by sharing rule.',
  );
  const retracted = new Counter(
    'ce_indicators_retracted_total',
    'Indicators removed from a destination, by sharing rule.',
  );

  const unsubscribe = [
    exchange.events.on('plugin-call-finished', (call) => {
      pluginCalls.inc({
        plugin: call.pluginId,
        config: call.configId,
        operation: call.operation,
        outcome: call.outcome,
      });
      pluginDurations.observe(
        { plugin: call.pluginId, operation: call.operation },
        Math.max(0, call.durationMs) / 1_000,
      );
    }),
    exchange.scheduler.events.on('task-run-finished', (run) =>
      taskRuns.inc({ task: run.name, outcome: run.outcome }),
    ),
    exchange.scheduler.events.on('task-run-skipped', (run) =>
      taskRuns.inc({ task: run.name, outcome: 'skipped' }),
    ),
  ];
  if (cte) {
    unsubscribe.push(
      exchange.events.on('indicator-added', (event) =>
        ingested.inc({ source: event.sourceId, outcome: 'new' }, event.keys.length),
      ),
      // Updates without a source (warninglist changes, manual deactivation) are not ingests.
      exchange.events.on('indicator-updated', (event) => {
        if (event.sourceId !== undefined)
          ingested.inc({ source: event.sourceId, outcome: 'updated' }, event.keys.length);
      }),
      exchange.events.on('indicator-shared', (event) =>
        shared.inc({ rule: event.ruleId }, event.keys.length),
      ),
      exchange.events.on('indicator-retracted', (event) =>
        retracted.inc({ rule: event.ruleId }, event.keys.length),
      ),
    );
  }

  return {
    observeRequest(method, route, status, durationSeconds) {
      requests.inc({ method, route, status: String(status) });
      requestDurations.observe({ method, route }, durationSeconds);
    },
    async render() {
      const lines: string[] = [];
      const health = await exchange.health().catch(() => undefined);
      gauge(lines, 'ce_up', 'Whether the exchange is running (1) or not (0).', [
        [{}, health?.status === 'running' ? 1 : 0],
      ]);
      if (health?.status === 'running') {
        const records = await exchange.configurations.list().catch(() => undefined);
        if (records) {
          const enabled = records.filter((record) => record.enabled).length;
          gauge(lines, 'ce_plugin_configurations', 'Plugin configurations, by state.', [
            [{ state: 'enabled' }, enabled],
            [{ state: 'disabled' }, records.length - enabled],
          ]);
        }
        if (cte) {
          // The states partition the store: a suppressed indicator counts as suppressed only.
          const counts = await Promise.all([
            cte.count({ active: true, suppressed: false }),
            cte.count({ active: false, suppressed: false }),
            cte.count({ suppressed: true }),
          ]).catch(() => undefined);
          if (counts) {
            gauge(lines, 'ce_indicators', 'Stored indicators, by state.', [
              [{ state: 'active' }, counts[0]],
              [{ state: 'inactive' }, counts[1]],
              [{ state: 'suppressed' }, counts[2]],
            ]);
          }
        }
      }
      pluginCalls.render(lines);
      pluginDurations.render(lines);
      taskRuns.render(lines);
      gauge(
        lines,
        'ce_scheduler_task_consecutive_failures',
        'Failed or timed-out runs of each task since its last success.',
        exchange.scheduler.list().map((task) => [{ task: task.name }, task.consecutiveFailures]),
      );
      requests.render(lines);
      requestDurations.render(lines);
      if (cte) {
        ingested.render(lines);
        shared.render(lines);
        retracted.render(lines);
      }
      for (const metric of cls?.metrics() ?? []) {
        header(lines, metric.name, metric.help, metric.type);
        for (const sample of metric.samples)
          lines.push(`${metric.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
      }

      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      header(
        lines,
        'process_cpu_seconds_total',
        'Total user and system CPU time spent in seconds.',
        'counter',
      );
      lines.push(`process_cpu_seconds_total ${formatValue((cpu.user + cpu.system) / 1e6)}`);
      gauge(lines, 'process_resident_memory_bytes', 'Resident memory size in bytes.', [[{}, memory.rss]]);
      gauge(
        lines,
        'process_start_time_seconds',
        'Start time of the process since the Unix epoch in seconds.',
        [[{}, Math.round(performance.timeOrigin) / 1_000]],
      );
      gauge(lines, 'nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', [[{}, memory.heapUsed]]);
      return `${lines.join('\n')}\n`;
    },
    dispose() {
      for (const off of unsubscribe) off();
    },
  };
}
