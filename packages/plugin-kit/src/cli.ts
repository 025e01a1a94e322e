#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { CeError } from '@ce/core';
import { scaffoldPlugin } from './scaffold/scaffold-plugin.js';

const usage = `Usage: ce-plugin new <name> --module <cte|cto|cre|cls> [--module ...] [--dir <folder>] [--package <npm name>]

Generates a Cloud Exchange plugin package: definition, configuration schema, a connection check,
tests against the kit's mock server, and a README.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      module: { type: 'string', multiple: true, short: 'm' },
      dir: { type: 'string' },
      package: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name] = positionals;
  if (values.help || command !== 'new' || !name) {
    process.stdout.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const result = await scaffoldPlugin({
    name,
    modules: (values.module ?? []).flatMap((m) => m.split(',')).filter(Boolean),
    ...(values.dir ? { directory: values.dir } : {}),
    ...(values.package ? { packageName: values.package } : {}),
  });
  process.stdout.write(`Created ${result.directory}\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ce-plugin: ${CeError.isInstance(error) ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
