import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-simulate.yaml'), 'utf8');

async function simulate(trainer: string, threads?: number): Promise<{ home: string; db: string; summary: { steps: { trained: number }[] }; stderr: string }> {
  const dir = tempDir('qonline-sim-');
  const cfg = path.join(dir, 'sim.yaml');
  const spec = threads === undefined ? `{class: ${trainer}}` : `{class: ${trainer}, kwargs: {threads: ${threads}}}`;
  writeFileSync(cfg, BASE.replace('begin_time: 2020-06-30', `begin_time: 2020-06-30\n  trainer: ${spec}`));
  // --json keeps info lines off stderr; --verbose brings them back (the trainer's thread count).
  const r = await runCli(['run', cfg, '--home', path.join(dir, 'home'), '--json', ...(threads === undefined ? [] : ['--verbose'])]);
  expect(r.code, r.stderr).toBe(0);
  return { home: path.join(dir, 'home'), db: path.join(dir, 'home', 'store.sqlite'), summary: JSON.parse(r.stdout), stderr: r.stderr };
}

type Sig = { date: string; instrument: string; score: number };

describe('simulate (built CLI)', () => {
  it('a delayed trainer gives the same signals as the immediate one, each date using only the models online then', async () => {
    const now = await simulate('TrainerR');
    const delayed = await simulate('DelayTrainerR');
    expect(delayed.summary.steps[0]!.trained).toBe(now.summary.steps[0]!.trained);
    const sigNow = await sqliteAll<Sig>(now.db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');
    const sigDelayed = await sqliteAll<Sig>(delayed.db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');
    expect(sigNow.length).toBeGreaterThan(1000);
    expect(sigDelayed.length).toBe(sigNow.length);
    for (let i = 0; i < sigNow.length; i++) {
      expect(sigDelayed[i]!.date).toBe(sigNow[i]!.date);
      expect(sigDelayed[i]!.instrument).toBe(sigNow[i]!.instrument);
      // Exact: the immediate trainer predicts from the frame it fitted (built once), the delayed one from a frame rebuilt with the stored processor state.
      expect(sigDelayed[i]!.score).toBe(sigNow[i]!.score);
    }

    // Independent recomputation for some dates: the history entry in force, the
    // model among its online set whose test segment covers the date (latest
    // start wins), its predictions z-scored across instruments (ddof 1).
    const history = await sqliteAll<{ effective_date: string; seq: number; recorder_ids: string }>(now.db, 'SELECT effective_date, seq, recorder_ids FROM history ORDER BY effective_date, seq');
    const recs = await sqliteAll<{ id: string; params: string }>(now.db, 'SELECT id, params FROM recorders');
    const test = new Map(recs.map((r) => [r.id, JSON.parse(r.params) as { test_start: string; test_end: string | null }]));
    const dates = [...new Set(sigNow.map((s) => s.date))];
    for (const d of [dates[0]!, dates[Math.floor(dates.length / 2)]!, '2020-08-03', '2020-12-31']) {
      // The most recent decision (highest seq) among entries effective on or before d.
      const inForce = history.filter((h) => h.effective_date <= d).sort((a, b) => a.seq - b.seq).pop() ?? history[0]!;
      const candidates = (JSON.parse(inForce.recorder_ids) as string[]).filter((id) => {
        const t = test.get(id)!;
        return t.test_start <= d && (t.test_end === null || t.test_end >= d);
      });
      candidates.sort((a, b) => (test.get(a)!.test_start < test.get(b)!.test_start ? -1 : 1));
      const model = candidates.pop()!;
      expect(model, d).toBeDefined();
      const preds = await sqliteAll<{ instrument: string; score: number }>(now.db, "SELECT instrument, score FROM scores WHERE recorder_id = ? AND kind = 'pred' AND date = ? ORDER BY instrument", [model, d]);
      const mean = preds.reduce((a, p) => a + p.score, 0) / preds.length;
      const sd = Math.sqrt(preds.reduce((a, p) => a + (p.score - mean) ** 2, 0) / (preds.length - 1));
      const got = sigNow.filter((s) => s.date === d);
      expect(got.map((g) => g.instrument)).toEqual(preds.map((p) => p.instrument));
      got.forEach((g, i) => expect(g.score).toBeCloseTo((preds[i]!.score - mean) / sd, 9));
    }
  });
});

describe('training threads (built CLI)', () => {
  it('two threads and one give the same recorders, predictions and signals, for both trainers', async () => {
    const serial = await simulate('DelayTrainerR', 1);
    expect(serial.stderr).not.toMatch(/on \d+ threads/);
    const want = await outcome(serial.db);
    const wantPreds = await predictions(serial.db);
    expect(wantPreds.length).toBeGreaterThan(1000);
    // The delayed trainer fits all 16 models at the end; the immediate one trains its first 10 tasks at once.
    for (const [trainer, batch] of [
      ['DelayTrainerR', 16],
      ['TrainerR', 10],
    ] as const) {
      const par = await simulate(trainer, 2);
      expect(par.stderr).toContain(`training ${batch} task(s) on 2 threads`);
      const got = await outcome(par.db);
      expect(got.recorders, trainer).toEqual(want.recorders);
      expect(got.history, trainer).toEqual(want.history);
      expect(got.signals, trainer).toEqual(want.signals);
      expect(await predictions(par.db), trainer).toEqual(wantPreds);
    }
  }, 120_000);
});

/** Every stored prediction, keyed by its recorder's task hash (recorder ids are random). */
async function predictions(db: string): Promise<string[]> {
  const rows = await sqliteAll<{ task_hash: string; date: string; instrument: string; score: number }>(
    db,
    "SELECT r.task_hash, s.date, s.instrument, s.score FROM scores s JOIN recorders r ON r.id = s.recorder_id WHERE s.kind = 'pred'",
  );
  return rows.map((r) => `${r.task_hash} ${r.date} ${r.instrument} ${r.score}`).sort();
}

/** What must not differ between an uninterrupted simulation and a killed-then-resumed one (ids are random: keyed by task hash). */
async function outcome(db: string): Promise<{ signals: Sig[]; recorders: string[]; history: string[] }> {
  const signals = await sqliteAll<Sig>(db, 'SELECT date, instrument, score FROM signals ORDER BY date, instrument');
  const recs = await sqliteAll<{ id: string; task_hash: string; status: string; params: string }>(db, 'SELECT id, task_hash, status, params FROM recorders');
  const tags = await sqliteAll<{ recorder_id: string; key: string; value: string }>(db, 'SELECT recorder_id, key, value FROM recorder_tags ORDER BY key');
  const hashOf = new Map(recs.map((r) => [r.id, r.task_hash]));
  const recorders = recs
    .map((r) => {
      const t = tags.filter((x) => x.recorder_id === r.id).map((x) => `${x.key}=${x.value}`);
      const phase = (JSON.parse(r.params) as { phase?: string }).phase;
      return `${r.task_hash} ${r.status} ${phase} ${t.join(',')}`;
    })
    .sort();
  const hist = await sqliteAll<{ strategy: string; seq: number; effective_date: string; recorder_ids: string; reason: string }>(db, 'SELECT * FROM history ORDER BY strategy, seq');
  const history = hist.map((h) => `${h.strategy} ${h.effective_date} ${h.reason} ${(JSON.parse(h.recorder_ids) as string[]).map((id) => hashOf.get(id)).sort().join(',')}`);
  return { signals, recorders, history };
}

describe('a killed simulation is finished by the next run (built CLI)', () => {
  it('SIGKILL at fixed log lines, re-run: signals (bit-equal), recorders and history equal an uninterrupted run', async () => {
    const dir = tempDir('qonline-simkill-');
    const cfg = path.join(dir, 'sim.yaml');
    // Two threads whatever the load: the kill mid end_train stops both threads' work.
    writeFileSync(cfg, BASE.replace('begin_time: 2020-06-30', 'begin_time: 2020-06-30\n  trainer: {class: DelayTrainerR, kwargs: {threads: 2}}'));
    const clean = await runCli(['run', cfg, '--home', path.join(dir, 'clean'), '-q']);
    expect(clean.code, clean.stderr).toBe(0);
    const want = await outcome(path.join(dir, 'clean', 'store.sqlite'));
    expect(want.signals.length).toBeGreaterThan(1000);
    expect(want.recorders.every((r) => / FINISHED finished /.test(r))).toBe(true);

    // Kill points (the delayed trainer records tasks in train and fits them all in end_train, Qlib's DelayTrainerR):
    // first training (tasks being recorded), mid replay (a routine recorded, not committed),
    // replay done (nothing fitted), mid end_train on two threads, all finished (signals not written).
    const points: { line: string; resume: string[] }[] = [
      { line: 'train tiny_ridge: 5/10', resume: [] },
      { line: 'trained 1 model(s) at 2020-09-17', resume: [] },
      { line: 'simulate: 64/128', resume: [] },
      { line: 'simulate: 128/128', resume: [] },
      { line: 'finish tiny_ridge: 8/16', resume: [] },
      { line: 'finish tiny_ridge: 8/16', resume: ['--step', 'prepare_signals'] },
      { line: 'finish tiny_ridge: 16/16', resume: ['--step', 'prepare_signals'] },
    ];
    for (const [i, p] of points.entries()) {
      const home = path.join(dir, `killed-${i}`);
      const killed = await runCli(['run', cfg, '--home', home], { env: { QONLINE_TEST_KILL_ON_STDERR: p.line } });
      expect(killed.code, `${p.line}: ${killed.stderr}`).not.toBe(0);
      expect(killed.stderr.trimEnd().split('\n').pop(), p.line).toContain(p.line);
      const again = await runCli(['run', cfg, '--home', home, '-q', ...p.resume]);
      expect(again.code, again.stderr).toBe(0);
      const got = await outcome(path.join(home, 'store.sqlite'));
      expect(got.recorders, p.line).toEqual(want.recorders);
      expect(got.history, p.line).toEqual(want.history);
      expect(got.signals.length, p.line).toBe(want.signals.length);
      // Bit-equal: the same models, the same dates, the same arithmetic.
      expect(got.signals, p.line).toEqual(want.signals);
    }
  }, 240_000);
});
