import { describe, expect, it } from 'vitest';
import type { HistoryEntry, RecorderInfo } from '../../../../core/index.js';
import { assignRecorders, latestPerGroup } from '../../../../core/online/signals.js';

function rec(id: string, model: string, start: string, end: string | null): RecorderInfo {
  return { id, experiment: 's', name: id, status: 'FINISHED', taskHash: id, createdAt: '', finishedAt: null, params: { model_class: model, test_start: start, test_end: end }, metrics: {}, tags: {}, error: null };
}
function entry(seq: number, effectiveDate: string, recorderIds: string[]): HistoryEntry {
  return { manager: 'm', strategy: 's', seq, effectiveDate, recorderIds, reason: 'r', createdAt: '' };
}

describe('the signal rule (assignRecorders)', () => {
  const recs = [rec('a', 'Linear', '2020-01-01', '2020-01-03'), rec('b', 'Linear', '2020-01-06', '2020-01-07'), rec('g', 'GBDT', '2020-01-01', '2020-01-02'), rec('n', 'Linear', '2020-01-08', null)];
  const recorders = new Map(recs.map((r) => [r.id, r]));
  const groupKey = (r: RecorderInfo) => String(r.params['model_class']);
  const dates = ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07', '2020-01-08', '2020-01-09'];

  it('covering models serve; after a group\'s last test end its latest model serves; a gap between windows stays empty', () => {
    // One set of closed windows (a, b, g) online throughout.
    const out = assignRecorders([{ strategy: 's', history: [entry(1, '2020-01-01', ['a', 'b', 'g'])], recorders, groupKey }], dates);
    // 01-04/05 are not trading dates here, so a and b are adjacent windows; after b's end (01-07) b serves.
    expect(Object.fromEntries(out.get('s/Linear')!)).toEqual({
      '2020-01-01': 'a',
      '2020-01-02': 'a',
      '2020-01-03': 'a',
      '2020-01-06': 'b',
      '2020-01-07': 'b',
      '2020-01-08': 'b',
      '2020-01-09': 'b',
    });
    // GBDT's last end is 01-02: its only model serves every later date.
    expect([...out.get('s/GBDT')!.values()]).toEqual(['g', 'g', 'g', 'g', 'g', 'g', 'g']);
  });

  it('a gap inside the set stays empty; an open-ended model never hands over to the latest-model rule before it starts', () => {
    const gap = assignRecorders([{ strategy: 's', history: [entry(1, '2020-01-01', ['a', 'n'])], recorders, groupKey }], dates);
    expect(Object.fromEntries(gap.get('s/Linear')!)).toEqual({ '2020-01-01': 'a', '2020-01-02': 'a', '2020-01-03': 'a', '2020-01-08': 'n', '2020-01-09': 'n' });
  });

  it('the history decides which set is online at each date (a later decision replaces the set)', () => {
    const out = assignRecorders([{ strategy: 's', history: [entry(1, '2020-01-01', ['a']), entry(2, '2020-01-07', ['n'])], recorders, groupKey }], dates);
    // a serves after its end until 01-07; n is online from 01-07 but starts 01-08.
    expect(Object.fromEntries(out.get('s/Linear')!)).toEqual({ '2020-01-01': 'a', '2020-01-02': 'a', '2020-01-03': 'a', '2020-01-06': 'a', '2020-01-08': 'n', '2020-01-09': 'n' });
  });

  it('latestPerGroup picks the latest test segment of each group', () => {
    expect(latestPerGroup(recs, groupKey).map((r) => r.id).sort()).toEqual(['g', 'n']);
  });
});
