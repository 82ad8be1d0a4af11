#!/usr/bin/env node
import { Command, Option } from 'commander';
import { registerAuditCommands } from './cli/audit.js';
import { registerCardCommands } from './cli/cards.js';
import { type Config, describeConfig, loadConfig } from './cli/config.js';
import { conformanceCommand } from './cli/conformance/command.js';
import { describeDevKeys, describeDevPki, devKeysDir } from './cli/keys.js';
import { PARTS, type Part, start } from './cli/start.js';
import { registerVaultCommands } from './cli/vault.js';
import { ConfigError, isPushprovError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { generateDevPki } from './mastercard/keys/dev-pki.js';
import { generateDevKeys } from './mastercard/keys/generate.js';

/**
 * The `pushprov` command. Configuration is validated here, once, before
 * anything starts; a bad value ends the process with exit code 1 and one line
 * naming it.
 */
function configOrExit(overrides: Partial<Config> = {}): Config {
  try {
    return loadConfig(process.env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pushprov: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const program = new Command('pushprov')
  .description('Issuer push provisioning to Mastercard Click to Pay and Secure Card on File')
  .showHelpAfterError();

program
  .command('start')
  .description('start the issuer API, the Mastercard simulator and the demo merchant')
  .addOption(new Option('--only <part>', 'start one part').choices(PARTS))
  .option('--memory', 'use a throw-away in-memory database')
  .action(async (options: { only?: Part; memory?: boolean }) => {
    const config = configOrExit(options.memory ? { memory: true } : {});
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const parts = options.only ? [options.only] : PARTS;
    const running = await start(config, logger, parts);
    logger.info(
      { urls: running.urls, mdesUrl: running.mdesUrl, database: running.database.engine },
      'pushprov started',
    );
    const open =
      running.urls.issuer?.replace('://127.0.0.1:', '://localhost:') ?? Object.values(running.urls)[0];
    process.stdout.write(
      `\npushprov is up (${parts.join(', ')}; ${running.database.engine}). Open ${open}\n` +
        (running.mdesUrl
          ? `MDES Pre-Digitization listener (mutual TLS): ${running.mdesUrl.replace('://127.0.0.1:', '://localhost:')}\n`
          : '') +
        '\n',
    );
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await running.stop();
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  });

program
  .command('config')
  .description('print the effective configuration (secrets hidden) and where each value comes from')
  .action(() => {
    const rows = describeConfig(configOrExit());
    const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
    for (const [name, value, description] of rows) {
      process.stdout.write(`${(name ?? '').padEnd(width)}  ${value || '-'}    # ${description}\n`);
    }
  });

const keys = program.command('keys').description('key management');
keys
  .command('generate')
  .description(
    'write a development key set (issuer, Mastercard side, merchant) and mutual TLS PKI under <data dir>/keys',
  )
  .option('--dir <dir>', 'where to write the keys (default: <data dir>/keys)')
  .option('--force', 'replace an existing set')
  .action(async (options: { dir?: string; force?: boolean }) => {
    const dir = options.dir ?? devKeysDir(configOrExit());
    const generation = {
      overwrite: options.force === true,
      onProgress: (step: string) => process.stdout.write(`… ${step}\n`),
    };
    const summary = await generateDevKeys(dir, generation);
    const pki = await generateDevPki(dir, generation);
    process.stdout.write(`${[...describeDevKeys(summary), ...describeDevPki(pki)].join('\n')}\n`);
  });

registerVaultCommands(keys, configOrExit);
registerCardCommands(program, configOrExit);
registerAuditCommands(program, configOrExit);
program.addCommand(conformanceCommand(configOrExit));

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(
    `pushprov: ${isPushprovError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
