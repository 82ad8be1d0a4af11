import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { AuditLog } from '../store/audit.js';
import type { Config } from './config.js';
import { withIssuerStore } from './vault.js';

/** `pushprov audit verify`: re-computes the audit trail's hash chain, for operators and after a restore. */
export function registerAuditCommands(program: Command, configOrExit: () => Config): void {
  program
    .command('audit')
    .description('the tamper-evident audit trail')
    .command('verify')
    .description("re-compute the audit trail's hash chain; exit 1 at the first broken entry")
    .action(async () => {
      const { brokenAt, checked, unsealed } = await withIssuerStore(configOrExit(), async (db) => {
        const audit = new AuditLog(db, systemClock);
        // Entries appended since the running instances last sealed are chained first (safe beside them).
        await audit.seal();
        return audit.verify();
      });
      if (brokenAt === undefined) {
        const waiting = unsealed > 0 ? `; ${unsealed} appended since, waiting for their seal` : '';
        process.stdout.write(`audit trail intact: ${checked} entries verified${waiting}\n`);
        return;
      }
      process.stdout.write(
        `audit trail BROKEN at entry ${brokenAt}: the ${checked} entries before it verify; it and what follows cannot be trusted\n`,
      );
      process.exitCode = 1;
    });
}
