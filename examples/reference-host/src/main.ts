#!/usr/bin/env node
/**
 * Command line entry of the reference host:
 *
 * ```sh
 * ce-host [--config <file>] [--demo]
 * ```
 *
 * Without a configuration (neither `--config` nor `CE_CONFIG`) it runs the offline demo with its
 * data in `<package>/.data`. SIGINT or SIGTERM stops it gracefully; a second signal exits at once.
 *
 * @module
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CeError, ConfigError, createJsonLogger, type Logger } from '@ce/core';
import { type HostConfig, loadHostConfig } from './config.js';
import { demoConfigurationId, demoHostConfig } from './demo/demo.js';
import { type ReferenceHost, startReferenceHost } from './reference-host.js';

const usage = `Usage: ce-host [--config <file>] [--demo]

  -c, --config <file>  host configuration, YAML or JSON (also: CE_CONFIG)
      --demo           also run the offline demo (the default without a configuration)
  -h, --help           show this help

Environment: PORT overrides the port, CE_SECRET_KEY the secret key.`;

const duplicateSignalWindowMs = 500;

// `dist/main.js` and `src/main.ts` both sit one level below the package, so the demo's data
// lands in the package directory whether started by `npm start` (cwd = the workspace) or not.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function readConfiguration(argv: string[]): Promise<HostConfig | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  const file = values.config ?? process.env.CE_CONFIG;
  if (!file) return demoHostConfig({ dataDir: join(packageDir, '.data') });
  const config = await loadHostConfig(file);
  return values.demo ? { ...config, demo: true } : config;
}

function logDemoHints(logger: Logger, host: ReferenceHost): void {
  const token = host.config.api.tokens[0];
  const auth = token ? ` -H 'Authorization: Bearer <token of "${token.name}">'` : '';
  const api = `${host.url}/api/v1`;
  const hints = [
    `curl -s ${host.url}/healthz`,
    `curl -s${auth} ${api}/configurations`,
    `curl -s${auth} -X POST ${api}/configurations/${demoConfigurationId}/check`,
    `curl -s${auth} '${api}/indicators?type=url&severity=high,critical&limit=5'`,
    `curl -s${auth} '${api}/indicators/count?suppressed=true'`,
    `curl -s${auth} ${api}/indicators/ipv4/185.141.63.120`,
    `curl -s${auth} ${api}/indicators/url/${encodeURIComponent('https://login-secure-update.top/account/verify.php')}`,
    `curl -s${auth} ${api}/sharing-rules`,
    `curl -s${auth} -X POST ${api}/sharing-rules/feeds-to-netskope/run`,
    `curl -s${auth} '${api}/lists/Phishing_URLs/export?format=csv'`,
    `curl -s${auth} -H 'content-type: text/plain' -X POST '${api}/indicators/ingest?source=analyst' --data-binary 'hxxp://new-threat[.]xyz/payload'`,
    `curl -s ${host.url}/metrics | grep ^ce_indicators`,
  ];
  const threat = host.demo?.threat;
  logger.info('demo running: sample feeds, a Netskope tenant and a CrowdStrike tenant, all in-process', {
    sampleApi: host.demo?.sampleApiUrl,
    feeds: threat?.feeds.url,
    netskope: threat?.netskope.url,
    crowdStrike: threat?.crowdStrike.url,
    sharingRules: threat?.settings.sharingRules.map((rule) => rule.id),
  });
  for (const command of hints) logger.info('try', { command });
}

async function main(): Promise<void> {
  let logger = createJsonLogger({ bindings: { service: 'ce-reference-host' } });
  let config: HostConfig | undefined;
  try {
    config = await readConfiguration(process.argv.slice(2));
  } catch (error) {
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (!config) return;
  logger = createJsonLogger({ level: config.logLevel, bindings: { service: 'ce-reference-host' } });

  const host = await startReferenceHost({ config, logger });
  if (host.demo) logDemoHints(logger, host);

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C reaches the host from the terminal and again from each `npm run` above it, within
      // milliseconds; only a signal sent later is a person insisting.
      if (Date.now() - firstSignalAt < duplicateSignalWindowMs) return;
      logger.warn('second signal: exiting without waiting', { signal });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    firstSignalAt = Date.now();
    logger.info('signal received: stopping gracefully (send it again to exit at once)', { signal });
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('graceful stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((error: unknown) => {
  const logger = createJsonLogger({ bindings: { service: 'ce-reference-host' } });
  if (error instanceof ConfigError) {
    logger.fatal(error.message, { code: error.code, issues: error.issues });
  } else if (CeError.isInstance(error)) {
    logger.fatal(error.message, { code: error.code });
  } else {
    logger.fatal('the reference host failed to start', { error });
  }
  process.exit(1);
});
