import { describe, expect, it } from 'vitest';
import { QonlineMetrics } from '../../../../plugins/metrics/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('QonlineMetrics: snapshot reloads', () => {
  it("a server's reload counts by cause become a counter that follows them (every cause shown from the first scrape)", async () => {
    const m = new QonlineMetrics({ process: 'serve', http: true });
    m.setSnapshotReloads({ start: 1, request: 0, notify: 0 });
    let text = await m.text();
    expect(text).toContain('# TYPE qonline_snapshot_reloads_total counter');
    expect(sample(text, 'qonline_snapshot_reloads_total{cause="start"}')).toBe(1);
    expect(sample(text, 'qonline_snapshot_reloads_total{cause="notify"}')).toBe(0);
    m.setSnapshotReloads({ start: 1, request: 3, notify: 2 });
    m.setSnapshotReloads({ start: 1, request: 3, notify: 2 });
    text = await m.text();
    expect(sample(text, 'qonline_snapshot_reloads_total{cause="start"}')).toBe(1);
    expect(sample(text, 'qonline_snapshot_reloads_total{cause="request"}')).toBe(3);
    expect(sample(text, 'qonline_snapshot_reloads_total{cause="notify"}')).toBe(2);
  });

  it('is not defined without a server', async () => {
    const m = new QonlineMetrics({ process: 'daemon' });
    m.setSnapshotReloads({ start: 1 });
    expect(await m.text()).not.toContain('qonline_snapshot_reloads_total');
  });
});
