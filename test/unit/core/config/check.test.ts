import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareConfig } from '../../../../core/engine/pipeline.js';
import { isQonlineError } from '../../../../core/errors/index.js';
import { SystemClock } from '../../../../core/kernel/clock.js';
import { SilentLogger } from '../../../../core/kernel/logger.js';
import { NullProgress } from '../../../../core/kernel/progress.js';
import { builtinPluginEntries } from '../../../../plugins/builtins.js';
import { generateSyntheticMarket } from '../../../../plugins/data-qlib/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'qonline-check-'));
const uri = path.join(root, 'qlib');

function config(data: string, instruments: string, feature: string): string {
  return `data: ${data}
manager: {name: m}
strategies:
  - class: RollingStrategy
    kwargs:
      name: s
      rolling_gen: {class: RollingGen, kwargs: {step: 20}}
      task_template:
        model: {class: Linear}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: ExprHandler
              kwargs:
                instruments: ${instruments}
                start_time: 2020-01-01
                features: {F: "${feature}"}
            segments:
              train: [2020-01-01, 2020-01-31]
              test: [2020-02-01, 2020-03-31]
`;
}

async function problems(text: string): Promise<string[]> {
  const file = path.join(root, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const home = path.join(root, 'home');
  try {
    await prepareConfig(file, { builtins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), env: {}, home });
    return [];
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    return e.details.length ? e.details : [e.message];
  } finally {
    expect(existsSync(home)).toBe(false);
  }
}

describe('checks against the data a QlibData folder holds (read, never written)', () => {
  beforeAll(async () => {
    await generateSyntheticMarket(uri, { instruments: 4, start: '2020-01-01', end: '2020-03-31', seed: 1 });
  });

  it('accepts fields and markets the folder has', async () => {
    expect(await problems(config(`{class: QlibData, kwargs: {uri: ${uri}}}`, 'csi300', 'Mean($close, 5)/$close'))).toEqual([]);
  });

  it('refuses an unknown field and an unknown market, located in the file', async () => {
    const before = readdirSync(uri).sort();
    const p = await problems(config(`{class: QlibData, kwargs: {uri: ${uri}}}`, 'csi500', 'Mean($clsoe, 5)'));
    expect(p.join('\n')).toMatch(/\.yaml:\d+:\d+ at \/strategies\/0\/kwargs\/task_template\/dataset\/kwargs\/handler\/kwargs\/features\/F: ExprHandler: F: the data has no field \$clsoe; did you mean \$close\?/);
    expect(p.join('\n')).toMatch(/no market "csi500"/);
    expect(readdirSync(uri).sort()).toEqual(before);
  });

  it('a window longer than the folder\u2019s calendar', async () => {
    const p = await problems(config(`{class: QlibData, kwargs: {uri: ${uri}}}`, 'all', 'Mean($close, 200)'));
    expect(p.join('\n')).toMatch(/calendar has only \d+ dates/);
  });

  it('strategies sharing expressions each get their problems (each text is analysed once per check)', async () => {
    const one = config(`{class: QlibData, kwargs: {uri: ${uri}}}`, 'all', 'Mean($clsoe, 5)');
    const features = '{F: "Mean($clsoe, 5)", G: "Mean($close, 200)", H: "Mean($close,", I: "$close"}';
    const strategy = one.slice(one.indexOf('  - class: RollingStrategy')).replace('features: {F: "Mean($clsoe, 5)"}', `features: ${features}`);
    const two = `${one.slice(0, one.indexOf('  - class: RollingStrategy'))}${strategy}${strategy.replace('name: s', 'name: t')}`;
    const p = await problems(two);
    for (const i of [0, 1]) {
      const at = `at /strategies/${i}/kwargs/task_template/dataset/kwargs/handler/kwargs/features`;
      const mine = p.filter((x) => x.includes(at)).map((x) => x.slice(x.indexOf(at) + at.length));
      expect(mine).toHaveLength(3);
      expect(mine[0]).toBe('/F: ExprHandler: F: the data has no field $clsoe; did you mean $close? (fields: $change $close $factor $high $low $open $volume $vwap)');
      expect(mine[1]).toMatch(/^\/G: ExprHandler: G: the expression reads 199 rows around each date, but the calendar has only \d+ dates$/);
      expect(mine[2]).toMatch(/^\/H: ExprHandler: H: /);
    }
  });

  it('a missing data folder is reported at /data/kwargs', async () => {
    const p = await problems(config(`{class: QlibData, kwargs: {uri: ${path.join(root, 'nope')}}}`, 'all', '$close'));
    expect(p.join('\n')).toMatch(/at \/data\/kwargs: QlibData: data folder .*nope does not exist/);
  });
});
