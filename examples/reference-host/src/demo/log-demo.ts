/**
 * The log shipper part of the offline demo, on loopback: a mock Netskope tenant whose data export
 * API serves generated page and application events and DLP and malware alerts (with 64-bit ids,
 * rate limits and `wait_time`), a syslog receiver over TCP, and a rotating file under
 * `<dataDir>/logs/demo`. Events go to syslog as CEF in RFC 5424 messages; alerts go to the file
 * as JSON lines.
 *
 * @module
 */
import { type NetskopeMockServer, startNetskopeMockServer } from '@ce/plugins-netskope';
import { type SyslogReceiver, startSyslogReceiver } from '@ce/plugins-syslog';
import type { HostPluginConfig } from '../config.js';
import type { HostClsConfig } from '../log-shipper-config.js';

/** Ids of the demo's log shipper configurations and routes. */
export const logDemoIds = {
  source: 'demo-netskope-logs',
  syslog: 'demo-syslog',
  file: 'demo-log-file',
  eventsRoute: 'demo-events-to-syslog',
  alertsRoute: 'demo-alerts-to-file',
} as const;

/** The directory, under the file sink's allowed `<dataDir>/logs`, that the demo writes. */
export const logDemoDirectory = 'demo';

/** Options of {@link startLogDemo}. */
export interface LogDemoOptions {
  /** Records generated per event or alert type. @default 500 */
  recordsPerType?: number;
  /** Clock of the mock tenant. @default Date.now */
  now?: () => number;
}

/** What {@link startLogDemo} started. */
export interface LogDemoServices {
  /** The mock tenant the shipper reads. */
  readonly tenant: NetskopeMockServer;
  /** The syslog receiver the events arrive at. */
  readonly syslog: SyslogReceiver;
  /** Configurations of the source and both sinks. */
  readonly configurations: HostPluginConfig[];
  /** The routes and spool settings. */
  readonly cls: HostClsConfig;
  /** Stops the tenant and the receiver. */
  close(): Promise<void>;
}

// A loopback-only toy tenant's token, not a real one.
const tenantToken = 'netskope-logs-demo-token';

/**
 * Starts the demo's tenant and syslog receiver and describes the configurations and routes. The
 * routes' spools are in memory unless `spoolDirectory` is given.
 */
export async function startLogDemo(
  options: LogDemoOptions = {},
  spoolDirectory?: string,
): Promise<LogDemoServices> {
  const now = options.now ?? Date.now;
  const perType = options.recordsPerType ?? 500;
  // The records span the last 23 hours, inside the source's 24-hour first lookback even when the
  // first poll comes seconds after the tenant started: a record exactly 24 hours old would fall
  // outside it on a slow machine.
  const to = Math.floor(now() / 1_000);
  const tenant = await startNetskopeMockServer({
    token: tenantToken,
    now,
    generate: {
      perType,
      events: ['page', 'application'],
      alerts: ['dlp', 'malware'],
      from: to - 23 * 3_600,
      to,
    },
  });
  let syslog: SyslogReceiver;
  try {
    syslog = await startSyslogReceiver({ transport: 'tcp' });
  } catch (error) {
    await tenant.close();
    throw error;
  }
  const configurations: HostPluginConfig[] = [
    {
      id: logDemoIds.source,
      pluginId: 'netskope-logs',
      name: 'Netskope events and alerts (demo tenant)',
      enabled: true,
      modules: ['cls'],
      config: {
        tenant: tenant.url,
        apiToken: tenantToken,
        events: ['page', 'application'],
        alerts: ['dlp', 'malware'],
        pageSize: 200,
        // The mock tenant's cursors start afresh at every run: so does the index.
        indexPrefix: `ce_demo_${now().toString(36)}`,
      },
    },
    {
      id: logDemoIds.syslog,
      pluginId: 'syslog',
      name: 'Local syslog receiver (demo)',
      enabled: true,
      modules: ['cls'],
      config: { host: syslog.host, port: syslog.port, transport: 'tcp' },
    },
    {
      id: logDemoIds.file,
      pluginId: 'file-sink',
      name: 'Alert file (demo)',
      enabled: true,
      modules: ['cls'],
      config: { directory: logDemoDirectory, fileName: 'netskope-alerts', fsync: false },
    },
  ];
  const cls: HostClsConfig = {
    routes: [
      {
        id: logDemoIds.eventsRoute,
        source: logDemoIds.source,
        streams: { kinds: ['event'] },
        format: 'syslog',
        syslogBody: 'cef',
        syslog: { facility: 'local0', appName: 'netskope' },
        sinks: [logDemoIds.syslog],
      },
      {
        id: logDemoIds.alertsRoute,
        source: logDemoIds.source,
        streams: { kinds: ['alert'] },
        format: 'json',
        sinks: [logDemoIds.file],
      },
    ],
    spool: spoolDirectory ? { directory: spoolDirectory, fsync: 'never' } : {},
    pollIntervalMs: 2_000,
  };
  return {
    tenant,
    syslog,
    configurations,
    cls,
    close: async () => {
      await Promise.all([tenant.close(), syslog.close()]);
    },
  };
}
