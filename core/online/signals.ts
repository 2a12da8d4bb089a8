import type { Ensemble } from '../contracts/online.js';
import type { HistoryEntry, RecorderInfo, ScoreRows } from '../contracts/store.js';
import { recorderTest } from './task-info.js';

export interface StrategySignalInput {
  strategy: string;
  /** History entries of this strategy (any order). */
  history: HistoryEntry[];
  recorders: Map<string, RecorderInfo>;
  groupKey: (rec: RecorderInfo) => string;
}

/**
 * The online set of a strategy at date `d`: among the history entries whose
 * effective date is on or before `d`, the most recent decision (highest seq),
 * so a rollback effective from an earlier date overrides later entries. Before
 * the first entry, the first entry's set (the first training covers history).
 */
export function onlineSetAt(history: HistoryEntry[], d: string): HistoryEntry | undefined {
  let best: HistoryEntry | undefined;
  let first: HistoryEntry | undefined;
  for (const h of history) {
    if (!first || h.effectiveDate < first.effectiveDate || (h.effectiveDate === first.effectiveDate && h.seq < first.seq)) first = h;
    if (h.effectiveDate <= d && (!best || h.seq > best.seq)) best = h;
  }
  return best ?? first;
}

/**
 * For each date, which recorder serves each (strategy, group): among the
 * models online at that date whose test segment covers it, the one with the
 * latest test start (rolling windows concatenate; a later window wins).
 * Returns key -> date -> recorder id.
 */
export function assignRecorders(inputs: StrategySignalInput[], dates: string[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const s of inputs) {
    for (const d of dates) {
      const entry = onlineSetAt(s.history, d);
      if (!entry) continue;
      const bestByGroup = new Map<string, { id: string; start: string }>();
      for (const id of entry.recorderIds) {
        const rec = s.recorders.get(id);
        if (!rec) continue;
        const t = recorderTest(rec);
        if (t.start > d || (t.end !== null && t.end < d)) continue;
        const g = s.groupKey(rec);
        const cur = bestByGroup.get(g);
        if (!cur || t.start > cur.start || (t.start === cur.start && id > cur.id)) bestByGroup.set(g, { id, start: t.start });
      }
      for (const [g, { id }] of bestByGroup) {
        const key = `${s.strategy}/${g}`;
        let m = out.get(key);
        if (!m) out.set(key, (m = new Map()));
        m.set(d, id);
      }
    }
  }
  return out;
}

/**
 * Builds the ensemble inputs (one ScoreRows per key, holding only the rows of
 * the recorder assigned to each date) and combines them.
 */
export function computeSignals(
  assignment: Map<string, Map<string, string>>,
  predictions: Map<string, ScoreRows>,
  ensemble: Ensemble,
): ScoreRows {
  const inputs: ScoreRows[] = [];
  for (const byDate of assignment.values()) {
    const dates: string[] = [];
    const instruments: string[] = [];
    const scores: number[] = [];
    // Group the dates by recorder so each recorder's rows are scanned once.
    const byRecorder = new Map<string, Set<string>>();
    for (const [d, id] of byDate) {
      let set = byRecorder.get(id);
      if (!set) byRecorder.set(id, (set = new Set()));
      set.add(d);
    }
    const collected: { d: string; i: string; s: number }[] = [];
    for (const [id, ds] of byRecorder) {
      const p = predictions.get(id);
      if (!p) continue;
      for (let k = 0; k < p.scores.length; k++) {
        if (ds.has(p.dates[k]!)) collected.push({ d: p.dates[k]!, i: p.instruments[k]!, s: p.scores[k]! });
      }
    }
    collected.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.i < b.i ? -1 : a.i > b.i ? 1 : 0));
    for (const c of collected) {
      dates.push(c.d);
      instruments.push(c.i);
      scores.push(c.s);
    }
    if (dates.length) inputs.push({ dates, instruments, scores: Float64Array.from(scores) });
  }
  if (!inputs.length) return { dates: [], instruments: [], scores: new Float64Array(0) };
  return ensemble.combine(inputs);
}
