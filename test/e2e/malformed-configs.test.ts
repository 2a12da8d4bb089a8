import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/**
 * A generated set of malformed configs: every date field, every component
 * class, every expression form, segments, markets, the daemon's schedule and
 * hostile YAML. Each must be refused by `validate` AND by `run`, with exit 2,
 * a file:line:col location, no stack, and nothing written (the home folder
 * does not exist afterwards).
 */
const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8') +
  'steps:\n  - first_train\n  - {routine: {cur_time: 2020-10-30}}\n  - {simulate: {end_time: 2020-11-30}}\n  - {update_online_pred: {to_date: 2020-12-30}}\n';

type Case = { name: string; edit: (s: string) => string; expect: RegExp };

function replace(from: string, to: string): (s: string) => string {
  return (s) => {
    if (!s.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
    return s.replace(from, to);
  };
}

// Every date field of the config, each given an impossible calendar date.
const DATE_FIELDS: [string, string][] = [
  ['data start', 'start: 2018-01-01, end'],
  ['data end', 'end: 2020-12-31, seed'],
  ['begin_time', 'begin_time: 2020-09-30'],
  ['handler start_time', 'start_time: 2018-01-01'],
  ['handler end_time', 'end_time: 2020-09-30'],
  ['fit_start_time', 'fit_start_time: 2018-01-01'],
  ['fit_end_time', 'fit_end_time: 2019-06-30'],
  ['train start', 'train: [2018-01-01'],
  ['train end', '2018-01-01, 2019-06-30]'],
  ['valid start', 'valid: [2019-07-01'],
  ['valid end', '2019-07-01, 2019-09-30]'],
  ['test start', 'test: [2019-10-01'],
  ['test end', '2019-10-01, 2020-09-30]'],
  ['routine cur_time', 'cur_time: 2020-10-30'],
  ['simulate end_time', 'end_time: 2020-11-30'],
  ['update to_date', 'to_date: 2020-12-30'],
];
const CASES: Case[] = [];
// Each field gets one of the impossible dates in turn (every field and every bad form covered, in fewer runs).
const BAD_DATES = ['2021-02-30', '2020-13-45', '0000-01-01', '2019-02-29'];
DATE_FIELDS.forEach(([name, text], i) => {
  const bad = BAD_DATES[i % BAD_DATES.length]!;
  CASES.push({ name: `${name} ${bad}`, edit: replace(text, text.replace(/\d{4}-\d{2}-\d{2}/, bad)), expect: /real calendar date/ });
});
// Every component class, misspelt.
for (const [kind, from, to] of [
  ['dataProvider', 'class: SyntheticMarket', 'class: SyntheticMarkt'],
  ['strategy', 'class: RollingStrategy', 'class: RollingStrateg'],
  ['taskGenerator', 'class: RollingGen', 'class: RollingGenn'],
  ['model', 'class: Linear', 'class: Linearr'],
  ['dataset', 'class: DatasetH', 'class: DatasetHH'],
  ['handler', 'class: ExprHandler', 'class: ExprHandlr'],
  ['processor ({class})', 'class: ZScoreNorm', 'class: ZScoreNrm'],
  ['processor (name)', 'learn_processors: [DropnaLabel]', 'learn_processors: [DropnaLabl]'],
] as const) {
  CASES.push({ name: `unknown ${kind} class`, edit: replace(from, to), expect: /QONLINE_UNKNOWN_CLASS.*did you mean/ });
}
CASES.push({ name: 'unknown trainer class', edit: replace('begin_time: 2020-09-30', 'begin_time: 2020-09-30\n  trainer: {class: TrainerX}'), expect: /QONLINE_UNKNOWN_CLASS/ });
CASES.push({ name: 'unknown ensemble class', edit: replace('begin_time: 2020-09-30', 'begin_time: 2020-09-30\n  ensemble: {class: AverageEnsembl}'), expect: /QONLINE_UNKNOWN_CLASS/ });
CASES.push({ name: 'unknown store class', edit: (s) => 'store: {class: SQLiteStor}\n' + s, expect: /QONLINE_UNKNOWN_CLASS/ });
// Every expression form.
const EXPR: [string, string, RegExp][] = [
  ['syntax', '$close/Ref($close, 1) - 1 +', /expected an operand/],
  ['unknown operator', 'Maen($close, 10)', /unknown operator 'Maen'.*\n.*did you mean Mean/],
  ['unknown field', 'Ref($clsoe, 1)', /no field \$clsoe; did you mean \$close/],
  ['negative window', 'Mean($close, -3)', /whole number of rows/],
  ['fractional window', 'Std($close, 2.5)', /whole number of rows/],
  ['fractional shift', 'Ref($close, 1.5)', /whole rows/],
  ['absurd window', 'Mean($close, 1e308)', /beyond any calendar/],
  ['absurd shift', 'Ref($close, 99999999)', /beyond any calendar/],
  ['window longer than the calendar', 'Mean($close, 5000)', /calendar has only \d+ dates/],
  ['deep nesting', '('.repeat(20000) + '$close' + ')'.repeat(20000), /nests deeper than 200 levels/],
  ['empty', '""', /empty/],
];
for (const [name, expr, re] of EXPR) {
  CASES.push({ name: `expression: ${name}`, edit: replace('MA10: Mean($close, 10)/$close', `MA10: ${expr.includes('(((') || expr === '""' ? expr : JSON.stringify(expr)}`), expect: re });
}
CASES.push({ name: 'label expression', edit: replace('learn_processors:', 'label: {LABEL0: "Ref($close, -2)/Ref($closee, -1) - 1"}\n                learn_processors:'), expect: /no field \$closee/ });
CASES.push({ name: 'feature named __proto__', edit: replace('RET5:', '__proto__:'), expect: /__proto__/ });
// Segments, windows, markets and times.
CASES.push({ name: 'segment end before start', edit: replace('train: [2018-01-01, 2019-06-30]', 'train: [2018-01-01, 2017-06-30]'), expect: /ends \(2017-06-30\) before it starts/ });
CASES.push({ name: 'train/test overlap (look-ahead)', edit: replace('test: [2019-10-01', 'test: [2019-05-01'), expect: /look-ahead/ });
CASES.push({ name: 'valid before train', edit: replace('valid: [2019-07-01, 2019-09-30]', 'valid: [2017-07-01, 2017-09-30]'), expect: /order is train, valid, test/ });
CASES.push({ name: 'fit window after the handler range', edit: replace('fit_end_time: 2019-06-30', 'fit_end_time: 2020-11-30'), expect: /fit window ends/ });
CASES.push({ name: 'fit window before the handler range', edit: replace('fit_start_time: 2018-01-01', 'fit_start_time: 2017-01-01'), expect: /fit window starts/ });
CASES.push({ name: 'handler end before start', edit: replace('end_time: 2020-09-30', 'end_time: 2017-09-30'), expect: /end_time 2017-09-30 is before start_time/ });
CASES.push({ name: 'begin_time after the data', edit: replace('begin_time: 2020-09-30', 'begin_time: 2022-09-30'), expect: /after the data's last date 2020-12-31/ });
CASES.push({ name: 'unknown market', edit: replace('instruments: all', 'instruments: csi500'), expect: /no market "csi500"; did you mean "csi300"/ });
CASES.push({ name: 'synthetic end before start', edit: replace('end: 2020-12-31, seed', 'end: 2017-12-31, seed'), expect: /end 2017-12-31 is before start/ });
CASES.push({ name: 'processor option', edit: replace('{class: Fillna, kwargs: {fields_group: feature}}', '{class: Fillna, kwargs: {fields_group: featur}}'), expect: /Fillna/ });
CASES.push({ name: 'daemon cron', edit: (s) => s + 'daemon: {schedule: "61 18 * * *"}\n', expect: /not a valid cron expression/ });
CASES.push({ name: 'daemon time zone', edit: (s) => s + 'daemon: {schedule: "0 18 * * 1-5", timezone: Mars/Olympus}\n', expect: /unknown time zone "Mars\/Olympus"/ });
// Hostile YAML.
CASES.push({ name: 'alias without anchor', edit: replace('begin_time: 2020-09-30', 'begin_time: *when'), expect: /QONLINE_CONFIG_PARSE.*alias \*when has no anchor/ });
CASES.push({
  name: 'alias bomb',
  edit: (s) => {
    const lines = ['x0: &x0 [a, a, a, a, a, a, a, a, a, a]'];
    for (let i = 1; i <= 9; i++) lines.push(`x${i}: &x${i} [${Array.from({ length: 10 }, () => `*x${i - 1}`).join(', ')}]`);
    return lines.join('\n') + '\n' + s;
  },
  expect: /QONLINE_CONFIG_PARSE.*alias bomb/,
});
CASES.push({ name: 'duplicate key', edit: replace('begin_time: 2020-09-30', 'begin_time: 2020-09-30\n  begin_time: 2020-08-31'), expect: /QONLINE_CONFIG_PARSE.*appears twice/ });

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe('malformed configs are refused by validate and by run before anything is written (built CLI)', () => {
  it(`${CASES.length} generated cases`, async () => {
    const root = tempDir('qonline-malformed-');
    const failures: string[] = [];
    await pool(CASES.map((c, i) => ({ c, i })), 2, async ({ c, i }) => {
      const file = path.join(root, `case-${i}.yaml`);
      writeFileSync(file, c.edit(BASE));
      const home = path.join(root, `home-${i}`);
      for (const args of [['validate', file, '--home', home], ['run', file, '--home', home]]) {
        const r = await runCli(args, { timeoutMs: 60_000 });
        const problems: string[] = [];
        if (r.code !== 2) problems.push(`exit ${r.code}`);
        if (!c.expect.test(r.stderr)) problems.push(`message does not match ${c.expect}`);
        if (!new RegExp(`case-${i}\\.yaml:\\d+:\\d+`).test(r.stderr)) problems.push('no file:line:col');
        if (/\n\s+at .*\.js:\d+/.test(r.stderr)) problems.push('stack trace printed');
        if (existsSync(home)) problems.push('home folder created');
        if (problems.length) failures.push(`${c.name} (${args[0]}): ${problems.join(', ')}\n${r.stderr.slice(0, 600)}`);
      }
    });
    expect(failures).toEqual([]);
  }, 900_000);

  it('the unmodified base config is valid (the cases differ from it by one edit)', async () => {
    const root = tempDir('qonline-malformed-');
    const file = path.join(root, 'ok.yaml');
    writeFileSync(file, BASE);
    const r = await runCli(['validate', file, '--home', path.join(root, 'home')]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(root, 'home'))).toBe(false);
  });
});
