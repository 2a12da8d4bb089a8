import { describe, expect, it } from 'vitest';
import { Calendar, isQonlineError, type TaskDef } from '../../../../core/index.js';
import { taskGenerator } from '../../../../core/task/index.js';
import { DEFAULT_LABEL_TEMPLATE, MultiHorizonGen } from '../../../../plugins/rolling/src/multi-horizon-gen.js';
import { RollingGen } from '../../../../plugins/rolling/src/rolling-gen.js';
import { DATES, dateAt, seg } from '../../../fixtures/rolling/test-calendar.js';
import { builtinPluginEntries, Kernel, NullProgress, SilentLogger, SystemClock, TOKENS } from '../../../../plugins/index.js';

/** A scope of the built-in kernel with this calendar: generators built the one way a run builds them. */
function kernelScope(cal: Calendar) {
  const k = new Kernel({ plugins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), home: '/tmp/qonline-unused' });
  const scope = k.createScope();
  scope.provideValue(TOKENS.calendar, cal);
  return scope;
}

const calendar = new Calendar(DATES);

// Train Sat 6 Jan (row 4) .. Sun 28 Jan (row 17), valid 29 Jan (18) .. Sun 4 Feb (22),
// test Sat 10 Feb (28) .. Sun 10 Mar (45).
function template(): TaskDef {
  return {
    model: { class: 'LGBModel' },
    dataset: {
      class: 'DatasetH',
      kwargs: {
        handler: {
          class: 'Alpha158',
          kwargs: { start_time: '2024-01-01', end_time: '2024-03-10', fit_start_time: '2024-01-06', fit_end_time: '2024-01-28', instruments: 'csi300' },
        },
        segments: { train: ['2024-01-06', '2024-01-28'], valid: ['2024-01-29', '2024-02-04'], test: ['2024-02-10', '2024-03-10'] },
      },
    },
  };
}

const segsOf = (t: TaskDef) => t.dataset.kwargs.segments;
const hk = (t: TaskDef) => t.dataset.kwargs.handler.kwargs;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isQonlineError(e)) return e.code;
    throw e;
  }
  throw new Error('expected an error');
}

describe('MultiHorizonGen', () => {
  it('one task per horizon, segments cut horizon + labelLeakN rows before the test start', () => {
    const tasks = new MultiHorizonGen(calendar, { horizons: [1, 5, 20] }).generate(template());
    expect(tasks.map(segsOf)).toEqual([
      // cut at 28 - 3 = 25: nothing to cut
      { train: seg(4, 17), valid: seg(18, 22), test: seg(28, 45) },
      // cut at 28 - 7 = 21
      { train: seg(4, 17), valid: seg(18, 21), test: seg(28, 45) },
      // cut at 28 - 22 = 6: valid start pulled back to the cut as well
      { train: seg(4, 6), valid: seg(6, 6), test: seg(28, 45) },
    ]);
  });

  it('sets the label per horizon (default: generalised Alpha158 label)', () => {
    const tasks = new MultiHorizonGen(calendar, { horizons: [1, 5] }).generate(template());
    expect(DEFAULT_LABEL_TEMPLATE).toBe('Ref($close, -{h+1})/Ref($close, -1) - 1');
    expect(tasks.map((t) => hk(t)['label'])).toEqual([
      [['Ref($close, -2)/Ref($close, -1) - 1'], ['LABEL0']],
      [['Ref($close, -6)/Ref($close, -1) - 1'], ['LABEL0']],
    ]);
  });

  it('takes a template with {h}, {h+k}, {h-k}, or a function, and a label name', () => {
    const fromString = new MultiHorizonGen(calendar, { horizons: [3], labelTemplate: 'Ref($vwap, -{h})/Ref($vwap, -{h-2}) + {h+10}', labelName: 'y' });
    expect(hk(fromString.generate(template())[0]!)['label']).toEqual([['Ref($vwap, -3)/Ref($vwap, -1) + 13'], ['y']]);
    const fromFn = new MultiHorizonGen(calendar, { horizons: [2, 4], labelTemplate: (h) => `Mean($close, ${h})` });
    expect(fromFn.generate(template()).map((t) => (hk(t)['label'] as string[][])[0]![0])).toEqual(['Mean($close, 2)', 'Mean($close, 4)']);
  });

  it('labelLeakN changes the cut', () => {
    const [t] = new MultiHorizonGen(calendar, { horizons: [2], labelLeakN: 0 }).generate(template());
    expect(segsOf(t!)['valid']).toEqual(seg(18, 22)); // cut at 26
    const [u] = new MultiHorizonGen(calendar, { horizons: [2], labelLeakN: 5 }).generate(template());
    expect(segsOf(u!)['valid']).toEqual(seg(18, 21)); // cut at 21
  });

  it('fit window follows the cut train segment unless kept', () => {
    const [t] = new MultiHorizonGen(calendar, { horizons: [20] }).generate(template());
    expect([hk(t!).fit_start_time, hk(t!).fit_end_time]).toEqual(seg(4, 6));
    const [u] = new MultiHorizonGen(calendar, { horizons: [20], keepTemplateFitWindow: true }).generate(template());
    expect([hk(u!).fit_start_time, hk(u!).fit_end_time]).toEqual(['2024-01-06', '2024-01-28']);
  });

  it('keeps an open test end and leaves the template untouched', () => {
    const tpl = template();
    tpl.dataset.kwargs.segments['test'] = ['2024-02-10', null];
    const before = JSON.stringify(tpl);
    const [t] = new MultiHorizonGen(calendar, { horizons: [1] }).generate(tpl);
    expect(segsOf(t!)['test']).toEqual([dateAt(28), null]);
    expect(JSON.stringify(tpl)).toBe(before);
    expect('label' in hk(tpl)).toBe(false);
  });

  it('chains with RollingGen through taskGenerator', () => {
    const tasks = taskGenerator(template(), [new MultiHorizonGen(calendar, { horizons: [1, 5] }), new RollingGen(calendar, { step: 10 })]);
    // each horizon rolls into 2 tasks (test starts 28, 38)
    expect(tasks.length).toBe(4);
    expect(tasks.map((t) => [(hk(t)['label'] as string[][])[0]![0], segsOf(t)['test']![0], segsOf(t)['valid']![1]])).toEqual([
      ['Ref($close, -2)/Ref($close, -1) - 1', dateAt(28), dateAt(22)],
      ['Ref($close, -2)/Ref($close, -1) - 1', dateAt(38), dateAt(32)],
      ['Ref($close, -6)/Ref($close, -1) - 1', dateAt(28), dateAt(21)],
      ['Ref($close, -6)/Ref($close, -1) - 1', dateAt(38), dateAt(31)],
    ]);
  });

  it('rejects bad options and tasks it cannot label', async () => {
    const scope = kernelScope(calendar);
    for (const kwargs of [{ horizons: [] }, { horizons: [1, 1] }, { horizons: [1.5] }, { horizons: [0] }, { horizons: [1], label_leak_n: -1 }, {}]) {
      await expect(scope.resolve('taskGenerator', { class: 'MultiHorizonGen', kwargs })).rejects.toMatchObject({ code: 'QONLINE_CONFIG_INVALID' });
    }
    expect(codeOf(() => new MultiHorizonGen(calendar, { horizons: [1], labelTemplate: 'Ref($close, -2)' }))).toBe('QONLINE_CONFIG_INVALID');
    const tpl = template();
    (tpl.dataset.kwargs as Record<string, unknown>)['handler'] = 'file:///h.pkl';
    expect(codeOf(() => new MultiHorizonGen(calendar, { horizons: [1] }).generate(tpl))).toBe('QONLINE_CONFIG_INVALID');
    const early = template();
    early.dataset.kwargs.segments['test'] = ['2024-01-05', null];
    // row 3 - (1 + 2) = 0 is fine; one more row is not
    expect(segsOf(new MultiHorizonGen(calendar, { horizons: [1] }).generate(early)[0]!)['train']).toEqual(seg(0, 0));
    expect(codeOf(() => new MultiHorizonGen(calendar, { horizons: [2] }).generate(early))).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });
});
