import type { ExperimentStore, RecorderInfo, ScoreKind, ScoreRows } from '../contracts/store.js';
import { recorderTest } from './task-info.js';

/**
 * Qlib's RecorderCollector + RollingGroup: gather the predictions (or labels)
 * of an experiment's finished recorders keyed by (model, test segment), then
 * concatenate the rolling windows of each model in time, a later window
 * winning where two overlap. Used for analysis; the served signal follows
 * the stricter online-at-date rule (see docs/architecture.md).
 */
export class RecorderCollector {
  constructor(
    private readonly store: ExperimentStore,
    private readonly experiment: string,
    private readonly options: { kind?: ScoreKind; filter?: (r: RecorderInfo) => boolean; modelKey?: (r: RecorderInfo) => string } = {},
  ) {}

  /** `{model key -> {test start -> rows}}`. */
  async collect(): Promise<Map<string, Map<string, ScoreRows>>> {
    const recs = (await this.store.listRecorders({ experiment: this.experiment, status: 'FINISHED' })).filter(this.options.filter ?? (() => true));
    const out = new Map<string, Map<string, ScoreRows>>();
    for (const r of recs) {
      const key = this.options.modelKey?.(r) ?? String(r.params.model_class ?? 'model');
      const t = recorderTest(r);
      const rows = await this.store.readScores(r.id, this.options.kind ?? 'pred', { start: t.start, end: t.end });
      let m = out.get(key);
      if (!m) out.set(key, (m = new Map()));
      m.set(t.start, rows);
    }
    return out;
  }
}

/** Concatenates rolling windows in time; where windows overlap, the later test start wins. */
export function rollingConcat(windows: Map<string, ScoreRows>): ScoreRows {
  const starts = [...windows.keys()].sort();
  const merged = new Map<string, { d: string; i: string; s: number }>();
  for (const start of starts) {
    const w = windows.get(start)!;
    for (let k = 0; k < w.scores.length; k++) merged.set(w.dates[k] + '|' + w.instruments[k], { d: w.dates[k]!, i: w.instruments[k]!, s: w.scores[k]! });
  }
  const rows = [...merged.values()].sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.i < b.i ? -1 : a.i > b.i ? 1 : 0));
  return { dates: rows.map((r) => r.d), instruments: rows.map((r) => r.i), scores: Float64Array.from(rows, (r) => r.s) };
}
