import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExperimentStore, ScoreRows } from '../../core/contracts/store.js';
import { openPipeline, prepareConfig, type Pipeline } from '../../core/engine/pipeline.js';
import { summarize, type RunSummary } from '../../core/engine/run.js';
import { SystemClock } from '../../core/kernel/clock.js';
import { SilentLogger } from '../../core/kernel/logger.js';
import { NullProgress } from '../../core/kernel/progress.js';
import { dailyIc } from '../../core/online/metrics.js';
import { OnlineTool } from '../../core/online/online-tool.js';
import { builtinPluginEntries } from '../../plugins/builtins.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');

/**
 * The summary's figures as first written: every finished recorder's labels
 * read whole, each online recorder's labels read again, matched by a map.
 */
async function fullReadFigures(p: Pipeline): Promise<unknown> {
  const labelRows: ScoreRows[] = [];
  const strategies: { name: string; onlineIc: number | null }[] = [];
  const match = (rows: ScoreRows, from: ScoreRows, out: Float64Array): void => {
    const m = new Map<string, number>();
    for (let i = 0; i < from.scores.length; i++) m.set(from.dates[i] + '|' + from.instruments[i], from.scores[i]!);
    for (let i = 0; i < rows.scores.length; i++) {
      const v = m.get(rows.dates[i] + '|' + rows.instruments[i]);
      if (v !== undefined) out[i] = v;
    }
  };
  for (const s of p.strategies) {
    const recs = await p.store.listRecorders({ experiment: s.name });
    for (const r of recs) if (r.status === 'FINISHED') labelRows.push(await p.store.readScores(r.id, 'label'));
    const ics: number[] = [];
    for (const r of await new OnlineTool(p.store, s.name).onlineModels()) {
      const pred = await p.store.readScores(r.id, 'pred');
      const l = new Float64Array(pred.scores.length).fill(NaN);
      match(pred, await p.store.readScores(r.id, 'label'), l);
      const ic = dailyIc(pred.dates, pred.scores, l, { rank: false }).ic;
      if (Number.isFinite(ic)) ics.push(ic);
    }
    strategies.push({ name: s.name, onlineIc: ics.length ? ics.reduce((a, b) => a + b, 0) / ics.length : null });
  }
  const sig = await p.manager.getSignals();
  const lab = new Float64Array(sig.scores.length).fill(NaN);
  for (const l of labelRows) match(sig, l, lab);
  const ic = dailyIc(sig.dates, sig.scores, lab);
  const r4 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
  return { strategies, signals: { dates: new Set(sig.dates).size, ic: r4(ic.ic), rankIc: r4(ic.rankIc) } };
}

/** The store without the optional per-date IC cache (as a third-party store): the summary reads every row. */
function withoutIcCache(store: ExperimentStore): ExperimentStore {
  return Object.create(store, { readDailyIc: { value: undefined }, writeDailyIc: { value: undefined } }) as ExperimentStore;
}

async function summaryFigures(home: string): Promise<{ summary: unknown; reference: unknown; uncached: RunSummary; cached: RunSummary; staleDates: number; recorders: number; online: number }> {
  const env = { builtins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), env: {}, home };
  const p = await openPipeline(await prepareConfig(CONFIG, env));
  try {
    const staleDates = (await p.store.readDailyIc!({ kind: 'signals', manager: p.manager.name })).filter((e) => !e.figures).length;
    const s = await summarize(p, []);
    return {
      summary: { strategies: s.strategies.map((x) => ({ name: x.name, onlineIc: x.onlineIc })), signals: { dates: s.signals.dates, ic: s.signals.ic, rankIc: s.signals.rankIc } },
      reference: await fullReadFigures(p),
      cached: s,
      staleDates,
      uncached: await summarize({ ...p, store: withoutIcCache(p.store) }, []),
      recorders: s.strategies.reduce((n, x) => n + x.recorders, 0),
      online: s.strategies.reduce((n, x) => n + x.online.length, 0),
    };
  } finally {
    await p.close();
  }
}

describe('the summary `run` prints', () => {
  it('from the per-date IC cache, has the figures of full reads, after routines, a rollback and a set_online', async () => {
    const home = tempDir('qonline-summary-');
    const env = { QONLINE_HOME: home };
    // Each run's summary brings the cache up to date; the next routines change only their new dates.
    for (const step of [['first_train'], ['routine', '--at', '2020-10-15'], ['routine', '--at', '2020-11-16']]) {
      const r = await runCli(['run', CONFIG, '--step', ...step, '-q'], { env });
      expect(r.code, r.stderr).toBe(0);
    }
    const run = await runCli(['run', CONFIG, '--step', 'routine', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const first = await summaryFigures(home);
    const printed = JSON.parse(run.stdout) as RunSummary;
    expect({ ...printed, steps: [] }).toEqual(first.uncached);
    expect(first.cached).toEqual(first.uncached);
    // The CLI's summary left the cache current: this one read no signal rows.
    expect(first.staleDates).toBe(0);
    // Finished recorders that are not online (their labels partly before the signals) are part of the case.
    expect(first.recorders).toBeGreaterThan(first.online);
    expect(first.summary).toEqual(first.reference);
    expect((first.summary as { signals: { ic: number | null } }).signals.ic).not.toBeNull();

    // A rollback rewrites the signals from its effective date with older models.
    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', '2020-09-30', '--effective', '2020-12-01', '-q'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const rolled = await summaryFigures(home);
    expect(rolled.summary).toEqual(rolled.reference);
    expect(rolled.cached).toEqual(rolled.uncached);
    expect(rolled.summary).not.toEqual(first.summary);

    // And putting the routine's models back returns the first figures.
    const hist = await runCli(['history', CONFIG, '--json'], { env });
    expect(hist.code, hist.stderr).toBe(0);
    const routine = (JSON.parse(hist.stdout) as { reason: string; recorderIds: string[]; effectiveDate: string }[]).findLast((h) => h.reason === 'routine')!;
    const fwd = await runCli(['online', 'set', CONFIG, '--strategy', 'tiny_ridge', ...routine.recorderIds.map((id) => id.slice(0, 10)), '--effective', routine.effectiveDate, '-q'], { env });
    expect(fwd.code, fwd.stderr).toBe(0);
    const back = await summaryFigures(home);
    expect(back.summary).toEqual(back.reference);
    expect(back.cached).toEqual(back.uncached);
    expect(back.summary).toEqual(first.summary);
  }, 180_000);
});
