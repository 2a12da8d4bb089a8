import type { PoolQuery, PoolTask, PoolTaskStatus, TaskPool, TaskStat } from '../../contracts/task-pool.js';
import { emptyTaskStat, POOL_TASK_STATUSES } from '../../contracts/task-pool.js';
import { TOKENS } from '../../contracts/tokens.js';
import { QonlineError } from '../../errors/index.js';
import { openStoreOnly } from '../../engine/pipeline.js';
import type { FlagSpec } from '../args.js';
import type { Command, CommandContext } from '../context.js';
import { requireConfig, table } from './shared.js';

const POOL_FLAG: Record<string, FlagSpec> = {
  pool: { value: true, multiple: true, description: 'Only this pool (repeatable). Default: every pool in the config\u2019s store' },
};
const ID_FLAG: Record<string, FlagSpec> = {
  id: { value: true, multiple: true, description: 'Only this task id (repeatable)' },
};

/** Opens the config's store and the pools the command works on (expired leases reaped first, so dead workers show). */
async function withPools<T>(ctx: CommandContext, command: string, fn: (pools: TaskPool[]) => Promise<T>): Promise<T> {
  const file = requireConfig(ctx, command);
  const s = await openStoreOnly(ctx.engine(), file);
  try {
    if (!s.kernel.has(TOKENS.taskPool)) throw new QonlineError('QONLINE_CONFIG_INVALID', `the store of ${file} (${s.store.backend}) holds no task pools`);
    const provider = s.kernel.get(TOKENS.taskPool);
    const names = (ctx.args.flags['pool'] as string[] | undefined) ?? (await provider.listPools());
    const pools = names.map((n) => provider.pool(n));
    for (const p of pools) await p.reapExpired();
    return await fn(pools);
  } finally {
    await s.close();
  }
}

function queryOf(ctx: CommandContext): Omit<PoolQuery, 'status'> {
  const ids = ctx.args.flags['id'] as string[] | undefined;
  const experiment = ctx.args.flags['experiment'] as string | undefined;
  return { ...(ids ? { ids } : {}), ...(experiment ? { experiment } : {}) };
}

function statusesOf(ctx: CommandContext): PoolTaskStatus[] | undefined {
  const raw = ctx.args.flags['status'] as string[] | undefined;
  if (!raw) return undefined;
  const list = raw.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!POOL_TASK_STATUSES.includes(s as PoolTaskStatus)) throw new QonlineError('QONLINE_USAGE', `unknown status ${JSON.stringify(s)} (expected ${POOL_TASK_STATUSES.join(', ')})`);
  }
  return list as PoolTaskStatus[];
}

function statRow(name: string, s: TaskStat): string[] {
  return [name, ...POOL_TASK_STATUSES.map((k) => String(s[k]))];
}

export const tasksStatCommand: Command = {
  name: 'tasks stat',
  usage: 'tasks stat CONFIG [--pool NAME]...',
  summary: 'Count the tasks of each pool by status (waiting, running, part_done, done, failed)',
  flags: { ...POOL_FLAG },
  async run(ctx) {
    await withPools(ctx, 'tasks stat', async (pools) => {
      const out: Record<string, TaskStat> = {};
      const total = emptyTaskStat();
      for (const p of pools) {
        out[p.name] = await p.stat();
        for (const k of POOL_TASK_STATUSES) total[k] += out[p.name]![k];
      }
      ctx.print({ pools: out, total }, () =>
        pools.length ? table(['pool', ...POOL_TASK_STATUSES], [...Object.entries(out).map(([n, s]) => statRow(n, s)), ...(pools.length > 1 ? [statRow('(total)', total)] : [])]) : 'no task pools',
      );
    });
  },
};

export const tasksListCommand: Command = {
  name: 'tasks list',
  usage: 'tasks list CONFIG [--pool NAME]... [--status S]... [--experiment E]',
  summary: 'List pool tasks: id, model, test segment, status, attempts, worker and lease, last error',
  flags: {
    ...POOL_FLAG,
    status: { value: true, multiple: true, description: 'Only tasks in this status (repeatable or comma-separated)' },
    experiment: { value: true, description: 'Only tasks of this experiment (strategy)' },
  },
  async run(ctx) {
    const status = statusesOf(ctx);
    await withPools(ctx, 'tasks list', async (pools) => {
      const tasks: PoolTask[] = [];
      for (const p of pools) tasks.push(...(await p.query({ ...queryOf(ctx), ...(status ? { status } : {}) })));
      const rows = tasks.map((t) => ({
        id: t.id,
        pool: t.pool,
        experiment: t.experiment,
        hash: t.hash,
        model: t.def.model?.class ?? null,
        test: t.def.dataset?.kwargs?.segments?.['test'] ?? null,
        status: t.status,
        prior_status: t.priorStatus,
        phases: t.phases,
        priority: t.priority,
        attempts: t.attempts,
        max_attempts: t.maxAttempts,
        worker: t.worker,
        lease_expires_at: t.lease?.expiresAt ?? null,
        res: t.res,
        last_error: t.lastError,
        created_at: t.createdAt,
        updated_at: t.updatedAt,
      }));
      ctx.print(rows, () =>
        rows.length
          ? table(
              ['id', 'pool', 'model', 'test', 'status', 'tries', 'prio', 'worker', 'lease until', 'last error'],
              rows.map((r) => [
                r.id,
                r.pool,
                String(r.model ?? '?'),
                r.test ? `${r.test[0]}..${r.test[1] ?? 'open'}` : '?',
                r.status + (r.phases === 2 && r.status !== 'done' ? ` (${r.status === 'running' ? (r.prior_status === 'part_done' ? 'phase 2' : 'phase 1') : '2 phases'})` : ''),
                `${r.attempts}/${r.max_attempts}`,
                String(r.priority),
                r.worker ?? '-',
                r.lease_expires_at ? r.lease_expires_at.replace('T', ' ').slice(0, 19) : '-',
                r.last_error ? oneLine(r.last_error, 60) : '',
              ]),
            )
          : 'no tasks',
      );
    });
  },
};

export const tasksWaitCommand: Command = {
  name: 'tasks wait',
  usage: 'tasks wait CONFIG [--pool NAME]... [--timeout SECONDS]',
  summary: 'Wait until no task is waiting, running or part_done (a progress bar meanwhile); exit 1 if tasks failed',
  flags: {
    ...POOL_FLAG,
    timeout: { value: true, description: 'Give up after this many seconds (exit 1)' },
    'poll-ms': { value: true, description: 'Longest pause between two looks (default 1000; PostgreSQL wakes on NOTIFY)' },
  },
  async run(ctx) {
    const timeoutS = ctx.args.flags['timeout'] !== undefined ? Number(ctx.args.flags['timeout']) : undefined;
    if (timeoutS !== undefined && !(timeoutS > 0)) throw new QonlineError('QONLINE_USAGE', `--timeout expects a positive number of seconds, got ${JSON.stringify(ctx.args.flags['timeout'])}`);
    const pollMs = ctx.args.flags['poll-ms'] !== undefined ? Number(ctx.args.flags['poll-ms']) : 1000;
    if (!(pollMs >= 10)) throw new QonlineError('QONLINE_USAGE', `--poll-ms expects a number >= 10, got ${JSON.stringify(ctx.args.flags['poll-ms'])}`);
    const engine = ctx.engine();
    let failed = 0;
    await withPools(ctx, 'tasks wait', async (pools) => {
      // The clock service, not Date.now(): tests (and a replayed clock) drive the deadline like every other time.
      const now = (): number => engine.clock.now().getTime();
      const deadline = timeoutS !== undefined ? now() + timeoutS * 1000 : undefined;
      const out: Record<string, TaskStat> = {};
      for (const p of pools) {
        const bar = engine.progress.start(`pool ${p.name}`);
        let shown = 0;
        try {
          out[p.name] = await p.wait({
            pollMs,
            timeoutMs: deadline !== undefined ? Math.max(1, deadline - now()) : undefined,
            onProgress: ({ done, total }) => {
              bar.setTotal(total);
              if (done > shown) bar.tick(done - shown);
              shown = Math.max(shown, done);
            },
          });
        } finally {
          bar.done();
        }
        failed += out[p.name]!.failed;
      }
      ctx.print({ pools: out, failed }, () =>
        pools.length ? `${table(['pool', ...POOL_TASK_STATUSES], Object.entries(out).map(([n, s]) => statRow(n, s)))}${failed ? `\n${failed} task(s) failed: see \`qonline tasks list CONFIG --status failed\`` : ''}` : 'no task pools',
      );
    });
    return failed ? 1 : 0;
  },
};

export const tasksResetCommand: Command = {
  name: 'tasks reset',
  usage: 'tasks reset CONFIG [--pool NAME]... [--id ID]...',
  summary: 'Put running tasks back in the status they came from, dropping their leases (for workers known to be gone)',
  flags: { ...POOL_FLAG, ...ID_FLAG },
  async run(ctx) {
    await countingUpdate(ctx, 'tasks reset', (p) => p.resetWaiting(queryOf(ctx)), 'running task(s) put back');
  },
};

export const tasksRetryCommand: Command = {
  name: 'tasks retry',
  usage: 'tasks retry CONFIG [--pool NAME]... [--id ID]...',
  summary: 'Put failed tasks back (waiting, or part_done if they failed in phase two) with their attempts reset',
  flags: { ...POOL_FLAG, ...ID_FLAG },
  async run(ctx) {
    await countingUpdate(ctx, 'tasks retry', (p) => p.retry(queryOf(ctx)), 'failed task(s) put back');
  },
};

export const tasksRemoveCommand: Command = {
  name: 'tasks remove',
  usage: 'tasks remove CONFIG (--id ID... | --status S... | --all) [--pool NAME]...',
  summary: 'Remove tasks from their pools (recorders stay); needs --id, --status or --all',
  flags: {
    ...POOL_FLAG,
    ...ID_FLAG,
    status: { value: true, multiple: true, description: 'Only tasks in this status (repeatable or comma-separated)' },
    all: { description: 'Every task of the selected pools' },
  },
  async run(ctx) {
    const status = statusesOf(ctx);
    const query = queryOf(ctx);
    if (!query.ids && !status && !ctx.args.flags['all']) throw new QonlineError('QONLINE_USAGE', 'tasks remove needs --id, --status or --all (it deletes tasks)');
    await countingUpdate(ctx, 'tasks remove', (p) => p.remove({ ...query, ...(status ? { status } : {}) }), 'task(s) removed');
  },
};

async function countingUpdate(ctx: CommandContext, command: string, fn: (p: TaskPool) => Promise<number>, what: string): Promise<void> {
  await withPools(ctx, command, async (pools) => {
    const out: Record<string, number> = {};
    let total = 0;
    for (const p of pools) {
      out[p.name] = await fn(p);
      total += out[p.name]!;
    }
    ctx.print({ pools: out, total }, () => `${total} ${what}${pools.length > 1 ? ` (${Object.entries(out).map(([n, c]) => `${n}: ${c}`).join(', ')})` : ''}`);
  });
}

function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > max ? line.slice(0, max - 1) + '\u2026' : line;
}

export const TASK_POOL_COMMANDS: Command[] = [tasksStatCommand, tasksListCommand, tasksWaitCommand, tasksResetCommand, tasksRemoveCommand, tasksRetryCommand];
