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
 * For each date, which recorder serves each (strategy, group), among the
 * models online at that date:
 *
 * - those whose test segment covers it, the one with the latest test start
 *   winning (rolling windows concatenate; a later window wins);
 * - after the last test end of the group's online models, the one with the
 *   latest test segment (its predictions are brought up to the latest date
 *   by prediction updates, as Qlib's update_online_pred does), so a restored
 *   older set serves up to today. Dates in a gap between windows stay empty.
 *
 * Returns key -> date -> recorder id.
 */
export function assignRecorders(inputs: StrategySignalInput[], dates: string[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const s of inputs) {
    // The groups of an entry do not depend on the date: computed once per entry.
    const groupsOf = new Map<HistoryEntry, Map<string, GroupModels>>();
    for (const d of dates) {
      const entry = onlineSetAt(s.history, d);
      if (!entry) continue;
      let groups = groupsOf.get(entry);
      if (!groups) groupsOf.set(entry, (groups = groupModels(entry, s)));
      for (const [g, models] of groups) {
        let best: ServingModel | undefined;
        for (const m of models.list) {
          if (m.start > d || (m.end !== null && m.end < d)) continue;
          if (!best || m.start > best.start || (m.start === best.start && m.id > best.id)) best = m;
        }
        if (!best && models.lastEnd !== null && d > models.lastEnd) best = models.latest;
        if (!best) continue;
        const key = `${s.strategy}/${g}`;
        let m = out.get(key);
        if (!m) out.set(key, (m = new Map()));
        m.set(d, best.id);
      }
    }
  }
  return out;
}

interface ServingModel {
  id: string;
  start: string;
  end: string | null;
}

interface GroupModels {
  list: ServingModel[];
  /** The model with the latest test segment (latest start, then highest id). */
  latest: ServingModel;
  /** The last test end of the group (null when a segment is open-ended). */
  lastEnd: string | null;
}

function groupModels(entry: HistoryEntry, s: StrategySignalInput): Map<string, GroupModels> {
  const groups = new Map<string, GroupModels>();
  for (const id of entry.recorderIds) {
    const rec = s.recorders.get(id);
    if (!rec) continue;
    const t = recorderTest(rec);
    const m: ServingModel = { id, start: t.start, end: t.end };
    const g = s.groupKey(rec);
    const cur = groups.get(g);
    if (!cur) {
      groups.set(g, { list: [m], latest: m, lastEnd: m.end });
      continue;
    }
    cur.list.push(m);
    if (m.start > cur.latest.start || (m.start === cur.latest.start && m.id > cur.latest.id)) cur.latest = m;
    cur.lastEnd = cur.lastEnd === null || m.end === null ? null : m.end > cur.lastEnd ? m.end : cur.lastEnd;
  }
  return groups;
}

/**
 * The models of a set that can serve after their own test end under the
 * signal rule (per group, the latest test segment): the ones prediction
 * updates must bring up to date.
 */
export function latestPerGroup(recs: RecorderInfo[], groupKey: (r: RecorderInfo) => string): RecorderInfo[] {
  const best = new Map<string, { rec: RecorderInfo; start: string }>();
  for (const r of recs) {
    const g = groupKey(r);
    const start = recorderTest(r).start;
    const cur = best.get(g);
    if (!cur || start > cur.start || (start === cur.start && r.id > cur.rec.id)) best.set(g, { rec: r, start });
  }
  return [...best.values()].map((b) => b.rec);
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
