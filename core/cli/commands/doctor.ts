import { loadConfigFile } from '../../config/load.js';
import { runDoctor, needsAction, type Finding } from '../../engine/doctor.js';
import { isWorkflowConfig } from '../../engine/workflow.js';
import { prepareConfig } from '../../engine/pipeline.js';
import { QonlineError } from '../../errors/index.js';
import type { Command } from '../context.js';
import { requireConfig } from './shared.js';
import { isUserConfig } from './validate.js';

const MARK: Record<Finding['severity'], string> = { ok: 'ok', info: 'info', warn: 'WARN', error: 'ERROR' };

export const doctorCommand: Command = {
  name: 'doctor',
  usage: 'doctor CONFIG [--today D] [--max-data-lag N] [--max-routine-age DAYS]',
  summary: 'Check config, store, data freshness, last routine, signals, task pools and the home lock, read-only, and say what to do (exit 1 when something needs action)',
  flags: {
    today: { value: true, date: true, description: "The day to judge the data's freshness against (default: today, in the config's daemon.timezone when set)" },
    'max-data-lag': { value: true, description: "Trading days the data may lag behind the last trading day before --today (default 1); days past the data's calendar count as weekdays, so holidays there may need more" },
    'max-routine-age': { value: true, description: 'Days (wall clock) without a routine writing the manager state before doctor warns: the daemon stopped or its routines fail (default 3)' },
  },
  async run(ctx) {
    const file = requireConfig(ctx, 'doctor');
    const lagRaw = ctx.args.flags['max-data-lag'];
    if (lagRaw !== undefined && !(typeof lagRaw === 'string' && /^\d+$/.test(lagRaw))) throw new QonlineError('QONLINE_USAGE', `--max-data-lag expects a whole number of trading days, got ${JSON.stringify(lagRaw)}`);
    const ageRaw = ctx.args.flags['max-routine-age'];
    if (ageRaw !== undefined && !(typeof ageRaw === 'string' && /^\d+(\.\d+)?$/.test(ageRaw))) throw new QonlineError('QONLINE_USAGE', `--max-routine-age expects a number of days, got ${JSON.stringify(ageRaw)}`);
    const env = ctx.engine();
    if (isUserConfig(file) || isWorkflowConfig((await loadConfigFile(file, ctx.io.env)).value)) {
      throw new QonlineError('QONLINE_USAGE', `${file} is not a pipeline config (no manager:): doctor checks a manager's pipeline`, { hint: 'give the pipeline config the daemon or `qonline run` uses; `qonline validate` checks this file' });
    }
    // Bad config: exit 2 as everywhere (prepareConfig reads and checks, and writes nothing).
    const prepared = await prepareConfig(file, env);
    const timezone = prepared.pipeline.daemon?.timezone ?? undefined;
    const today = (ctx.args.flags['today'] as string | undefined) ?? new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(env.clock.now());
    const home = ctx.args.flags['home'];
    const commandArgs = [file, ...(typeof home === 'string' ? ['--home', home] : [])].map(shellWord).join(' ');
    const report = await runDoctor(prepared, { today, maxDataLagDays: lagRaw === undefined ? 1 : Number(lagRaw), maxRoutineAgeDays: ageRaw === undefined ? 3 : Number(ageRaw), commandArgs, now: env.clock.now() });
    ctx.print(report, () => {
      const width = Math.max(...report.findings.map((f) => f.check.length));
      const lines = [`qonline doctor: manager ${report.manager} (${report.config}), home ${report.home}, today ${report.today}`];
      for (const f of report.findings) {
        lines.push(`  ${MARK[f.severity].padEnd(5)}  ${f.check.padEnd(width)}  ${f.message}`);
        if (f.action) lines.push(`  ${''.padEnd(5)}  ${''.padEnd(width)}  -> ${f.action}`);
      }
      const n = report.findings.filter(needsAction).length;
      lines.push(n ? `${n} finding(s) need action.` : 'all good.');
      return lines.join('\n');
    });
    return report.ok ? 0 : 1;
  },
};

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
