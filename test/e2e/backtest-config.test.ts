import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

interface Out {
  report: { date: string; account: number; return: number; cost: number; bench: number | null }[];
  trades: { date: string; instrument: string; direction: string; amount: number; price: number; cost: number }[];
  positions: { date: string; cash: number }[];
  risk: Record<string, Record<string, number>>;
}

describe('backtest of a manager (configs/simulate.yaml, built CLI)', () => {
  it("the step, `backtest CONFIG` and the score-file form agree; report shows the stored backtest", async () => {
    const home = tempDir('qonline-btcfg-');
    const config = path.join('configs', 'simulate.yaml');
    const run = await runCli(['run', config, '--home', home, '--json'], { timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    const step = (JSON.parse(run.stdout) as { steps: { step: string; backtest?: { days: number; trades: number; risk: Out['risk'] } }[] }).steps.at(-1)!;
    expect(step.step).toBe('backtest');
    expect(step.backtest!.days).toBeGreaterThan(200);
    expect(step.backtest!.trades).toBeGreaterThan(10);

    // The CONFIG form reruns the step over the stored signals: same numbers.
    const byConfig = await runCli(['backtest', config, '--home', home, '--json']);
    expect(byConfig.code, byConfig.stderr).toBe(0);
    const a = JSON.parse(byConfig.stdout) as Out;
    expect(a.risk).toEqual(step.backtest!.risk);
    expect(a.report.length).toBe(step.backtest!.days);

    // Independently: the manager's signals as a score file, the step's kwargs as PORT.yaml, the synthetic market's files.
    const sig = JSON.parse((await runCli(['signals', '--home', home, '--start', '2000-01-01', '--end', '2100-01-01', '--json'])).stdout) as { rows: { date: string; instrument: string; score: number }[] };
    expect(sig.rows.length).toBeGreaterThan(1000);
    writeFileSync(path.join(home, 'scores.csv'), ['datetime,instrument,score', ...sig.rows.map((r) => `${r.date},${r.instrument},${r.score}`)].join('\n') + '\n');
    const steps = (parse(readFileSync(path.join(ROOT, config), 'utf8')) as { steps: Record<string, unknown>[] }).steps;
    const kwargs = steps.find((s) => 'backtest' in s)!['backtest'];
    writeFileSync(path.join(home, 'port.yaml'), stringify({ port_analysis_config: kwargs }));
    const data = path.join(home, 'data', readdirSync(path.join(home, 'data'))[0]!);
    const byFile = await runCli(['backtest', '--data', data, '--scores', path.join(home, 'scores.csv'), '--config', path.join(home, 'port.yaml'), '--home', home, '--json']);
    expect(byFile.code, byFile.stderr).toBe(0);
    const b = JSON.parse(byFile.stdout) as Out;
    expect(a.report).toEqual(b.report);
    expect(a.trades).toEqual(b.trades);
    expect(a.risk).toEqual(b.risk);

    const rep = await runCli(['report', config, '--home', home, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    const r = JSON.parse(rep.stdout) as { out: string; sections: { id: string; cards: { label: string; value: number }[] }[] };
    const sec = r.sections.find((s) => s.id === 'backtest-backtest')!;
    expect(sec.cards.find((c) => c.label === 'excess return, annualised (with cost)')!.value).toBe(a.risk['excess_return_with_cost']!['annualized_return']);
    expect(sec.cards.find((c) => c.label === 'excess return, annualised (without cost)')!.value).toBe(a.risk['excess_return_without_cost']!['annualized_return']);
    const html = readFileSync(r.out, 'utf8');
    expect(html).toContain('id="section-backtest-backtest"');
    expect(html).toContain('Account value vs benchmark');
  }, 400_000);

  it('a config without a backtest step: exit 2 naming the config', async () => {
    const home = tempDir('qonline-btcfg-');
    const r = await runCli(['backtest', path.join('configs', 'rolling.yaml'), '--home', home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rolling.yaml');
    expect(r.stderr).toContain('no backtest step');
  });
});
