import { describe, expect, it } from 'vitest';
import { Calendar, isQonlineError, type Segment, type TaskDef } from '../../../../core/index.js';
import { builtinPluginEntries, Kernel, NullProgress, SilentLogger, SystemClock, TOKENS } from '../../../../plugins/index.js';
import { RollingGen } from '../../../../plugins/rolling/src/rolling-gen.js';
import { DATES, dateAt, rowOnOrAfter, rowOnOrBefore, seg } from '../../../fixtures/rolling/test-calendar.js';

const calendar = new Calendar(DATES);

interface TemplateParts {
  train?: Segment;
  valid?: Segment;
  test: Segment;
  handlerEnd?: string | null;
}

/** Every segment date below falls on a weekend or holiday unless noted. */
function template(p: TemplateParts): TaskDef {
  const segments: Record<string, Segment> = {};
  if (p.train) segments['train'] = p.train;
  if (p.valid) segments['valid'] = p.valid;
  segments['test'] = p.test;
  const kwargs: Record<string, unknown> = { start_time: '2024-01-01', instruments: 'csi300' };
  if (p.handlerEnd !== undefined) kwargs['end_time'] = p.handlerEnd;
  if (p.train) {
    kwargs['fit_start_time'] = p.train[0];
    kwargs['fit_end_time'] = p.train[1];
  }
  return {
    model: { class: 'LGBModel', kwargs: { num_leaves: 31 } },
    dataset: { class: 'DatasetH', kwargs: { handler: { class: 'Alpha158', kwargs }, segments } },
    record: [{ class: 'SignalRecord' }],
  };
}

const segsOf = (t: TaskDef) => t.dataset.kwargs.segments;
const hk = (t: TaskDef) => t.dataset.kwargs.handler.kwargs;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isQonlineError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

// Train Sat 6 Jan .. Sun 28 Jan, valid Mon 29 Jan .. Sun 4 Feb, test Sat 10 Feb .. Sun 10 Mar.
const A = template({ train: ['2024-01-06', '2024-01-28'], valid: ['2024-01-29', '2024-02-04'], test: ['2024-02-10', '2024-03-10'], handlerEnd: '2024-02-29' });
const TRAIN_S = rowOnOrAfter('2024-01-06');
const TRAIN_E = rowOnOrBefore('2024-01-28');
const VALID_S = rowOnOrAfter('2024-01-29');
const VALID_E = rowOnOrBefore('2024-02-04');
const TEST_S = rowOnOrAfter('2024-02-10');
const TEST_LAST_START = rowOnOrBefore('2024-03-10');

/** A scope of the built-in kernel with this calendar: generators built the one way a run builds them. */
function kernelScope(cal: Calendar) {
  const k = new Kernel({ plugins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), home: '/tmp/qonline-unused' });
  const scope = k.createScope();
  scope.provideValue(TOKENS.calendar, cal);
  return scope;
}

describe('RollingGen.generate', () => {
  it('rows of template A, derived by hand', () => {
    expect([TRAIN_S, TRAIN_E, VALID_S, VALID_E, TEST_S, TEST_LAST_START]).toEqual([4, 17, 18, 22, 28, 45]);
  });

  it('expanding: train start fixed, everything else moves by step rows; the last task runs past the template end', () => {
    const step = 10;
    const tasks = new RollingGen(calendar, { step, rtype: 'expanding' }).generate(A);
    // test starts 28, 38 (<= 45); 48 > 45 stops.
    expect(tasks.length).toBe(2);
    tasks.forEach((t, k) => {
      expect(segsOf(t)).toEqual({
        train: seg(TRAIN_S, TRAIN_E + step * k),
        valid: seg(VALID_S + step * k, VALID_E + step * k),
        test: seg(TEST_S + step * k, TEST_S + step * k + step - 1),
      });
    });
    expect(segsOf(tasks[1]!)['test']).toEqual(['2024-02-28', '2024-03-12']);
    expect(segsOf(tasks[1]!)['test']![1]! > '2024-03-10').toBe(true);
  });

  it('sliding: every segment moves by step rows', () => {
    const step = 10;
    const tasks = new RollingGen(calendar, { step, rtype: 'sliding' }).generate(A);
    expect(tasks.map(segsOf)).toEqual([0, 1].map((k) => ({
      train: seg(TRAIN_S + step * k, TRAIN_E + step * k),
      valid: seg(VALID_S + step * k, VALID_E + step * k),
      test: seg(TEST_S + step * k, TEST_S + step * k + step - 1),
    })));
  });

  it('defaults to step 40, expanding', () => {
    const tasks = new RollingGen(calendar).generate(A);
    expect(tasks.length).toBe(1);
    // 28 + 39 = 67 is past the calendar: open end
    expect(segsOf(tasks[0]!)['test']).toEqual([dateAt(28), null]);
    expect(segsOf(tasks[0]!)['train']).toEqual(seg(4, 17));
  });

  it('counts steps in trading rows across weekends and holidays', () => {
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-16', '2024-02-22'] });
    const tasks = new RollingGen(calendar, { step: 2, rtype: 'sliding' }).generate(t);
    expect(tasks.map((x) => segsOf(x)['test'])).toEqual([
      ['2024-02-16', '2024-02-21'],
      ['2024-02-22', '2024-02-23'],
    ]);
    expect(segsOf(tasks[1]!)['train']).toEqual(['2024-01-04', '2024-02-13']);
  });

  it('open template test end: rolls until the calendar ends; the last test end is open', () => {
    const t = template({ train: ['2024-01-06', '2024-01-28'], test: ['2024-02-10', null], handlerEnd: '2024-02-29' });
    const tasks = new RollingGen(calendar, { step: 15 }).generate(t);
    // test starts 28, 43, 58 (<= 59); 73 leaves the calendar.
    expect(tasks.map((x) => segsOf(x)['test'])).toEqual([seg(28, 42), seg(43, 57), [dateAt(58), null]]);
    expect(tasks.map((x) => segsOf(x)['train'])).toEqual([seg(4, 17), seg(4, 32), seg(4, 47)]);
    // handler end follows the test end, and opens with it (Qlib issue 2068)
    expect(tasks.map((x) => hk(x).end_time)).toEqual([dateAt(42), dateAt(57), null]);
  });

  it('a first test segment past the calendar is open and nothing follows', () => {
    const t = template({ train: ['2024-01-02', '2024-03-01'], test: ['2024-03-08', null] });
    const tasks = new RollingGen(calendar, { step: 20 }).generate(t);
    expect(tasks.length).toBe(1);
    expect(segsOf(tasks[0]!)['test']).toEqual([dateAt(rowOnOrAfter('2024-03-08')), null]);
  });

  it('stops exactly at the calendar end (Qlib crashes when a start lands one row past it)', () => {
    const t = template({ train: ['2024-01-02', '2024-03-20'], test: ['2024-03-25', '2024-12-31'] });
    const tasks = new RollingGen(calendar, { step: 1 }).generate(t);
    // test starts 56 (25 Mar), 57, 58, 59; 60 is past the last row.
    expect(tasks.map((x) => segsOf(x)['test'])).toEqual([seg(56, 56), seg(57, 57), seg(58, 58), seg(59, 59)]);
    const t2 = template({ train: ['2024-01-02', '2024-03-20'], test: ['2024-03-21', '2024-12-31'] });
    const tasks2 = new RollingGen(calendar, { step: 2, rtype: 'sliding' }).generate(t2);
    expect(tasks2.map((x) => segsOf(x)['test'])).toEqual([seg(54, 55), seg(56, 57), seg(58, 59)]);
  });

  it('the stop rule compares test starts with the aligned template test end', () => {
    // template test end Sun 3 Mar -> Fri 1 Mar (row 40). Starts 28, 34, 40 are in; 46 is out.
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-10', '2024-03-03'] });
    const tasks = new RollingGen(calendar, { step: 6 }).generate(t);
    expect(tasks.map((x) => segsOf(x)['test']![0])).toEqual([dateAt(28), dateAt(34), dateAt(40)]);
  });

  it('truncDays cuts every non-test segment to end truncDays rows before the test start', () => {
    const step = 10;
    const tasks = new RollingGen(calendar, { step, rtype: 'sliding', truncDays: 8 }).generate(A);
    // cut at row 28 - 8 = 20: train end 17 stays, valid end 22 -> 20
    expect(tasks.map(segsOf)).toEqual([0, 1].map((k) => ({
      train: seg(4 + step * k, 17 + step * k),
      valid: seg(18 + step * k, 20 + step * k),
      test: seg(28 + step * k, 37 + step * k),
    })));
    for (const t of tasks) {
      const testRow = DATES.indexOf(segsOf(t)['test']![0]);
      expect(DATES.indexOf(segsOf(t)['valid']![1]!)).toBe(testRow - 8);
    }
  });

  it('truncDays also pulls a start that lies after the cut', () => {
    const [task] = new RollingGen(calendar, { step: 40, truncDays: 12 }).generate(A);
    // cut at 28 - 12 = 16
    expect(segsOf(task!)).toEqual({ train: seg(4, 16), valid: seg(16, 16), test: [dateAt(28), null] });
  });

  it('truncDays works when train starts on the calendar first day (Qlib asserts)', () => {
    const t = template({ train: ['2024-01-01', '2024-01-20'], test: ['2024-01-05', '2024-01-31'] });
    const tasks = new RollingGen(calendar, { step: 5, truncDays: 3 }).generate(t);
    // test row 3, cut at 0; test starts 3, 8, 13, 18 (<= row 20 = 31 Jan)
    expect(tasks.map(segsOf)).toEqual([0, 1, 2, 3].map((k) => ({ train: seg(0, 5 * k), test: seg(3 + 5 * k, 7 + 5 * k) })));
  });

  it('each task fits its processors on its own train segment by default', () => {
    const tasks = new RollingGen(calendar, { step: 10, rtype: 'sliding' }).generate(A);
    for (const t of tasks) {
      expect([hk(t).fit_start_time, hk(t).fit_end_time]).toEqual(segsOf(t)['train']);
    }
    expect(hk(tasks[1]!).fit_start_time).toBe(dateAt(14));
  });

  it('keepTemplateFitWindow keeps the template fit window (Qlib behaviour)', () => {
    const tasks = new RollingGen(calendar, { step: 10, keepTemplateFitWindow: true }).generate(A);
    for (const t of tasks) expect([hk(t).fit_start_time, hk(t).fit_end_time]).toEqual(['2024-01-06', '2024-01-28']);
  });

  it('does not add a fit window the handler did not have', () => {
    const t = template({ train: ['2024-01-06', '2024-01-28'], test: ['2024-02-10', '2024-03-10'] });
    delete hk(t).fit_start_time;
    delete hk(t).fit_end_time;
    for (const x of new RollingGen(calendar, { step: 10 }).generate(t)) {
      expect('fit_start_time' in hk(x) || 'fit_end_time' in hk(x)).toBe(false);
    }
  });

  it('extends the handler end to the test end, never shortens it', () => {
    const tasks = new RollingGen(calendar, { step: 10 }).generate(A);
    // task 0 test ends row 37 (27 Feb) < 29 Feb: unchanged; task 1 ends row 47 (12 Mar)
    expect(tasks.map((t) => hk(t).end_time)).toEqual(['2024-02-29', '2024-03-12']);
  });

  it('extends a handler end on a non-trading day just before the test end (Qlib does not)', () => {
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-21', '2024-02-26'], handlerEnd: '2024-02-24' });
    const [first] = new RollingGen(calendar, { step: 4 }).generate(t);
    expect(segsOf(first!)['test']).toEqual(['2024-02-21', '2024-02-26']);
    expect(hk(first!).end_time).toBe('2024-02-26');
  });

  it('leaves a missing or null handler end, and a non-inline handler, alone', () => {
    const noEnd = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-10', null] });
    for (const t of new RollingGen(calendar, { step: 15 }).generate(noEnd)) expect('end_time' in hk(t)).toBe(false);
    const nullEnd = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-10', '2024-02-28'], handlerEnd: null });
    for (const t of new RollingGen(calendar, { step: 5 }).generate(nullEnd)) expect(hk(t).end_time).toBeNull();
    const fileHandler = { ...A, dataset: { ...A.dataset, kwargs: { ...A.dataset.kwargs, handler: 'file:///h.pkl' } } } as unknown as TaskDef;
    const out = new RollingGen(calendar, { step: 10 }).generate(fileHandler);
    expect(out.length).toBe(2);
    expect(out[1]!.dataset.kwargs.handler).toBe('file:///h.pkl');
  });

  it('extendHandlerEnd: false leaves the handler end as in the template', () => {
    const tasks = new RollingGen(calendar, { step: 10, extendHandlerEnd: false }).generate(A);
    expect(tasks.map((t) => hk(t).end_time)).toEqual(['2024-02-29', '2024-02-29']);
  });

  it('uses custom segment keys', () => {
    const t = template({ test: ['2024-02-10', '2024-03-10'] });
    t.dataset.kwargs.segments = { fit: ['2024-01-06', '2024-01-28'], oos: ['2024-02-10', '2024-03-10'] };
    const tasks = new RollingGen(calendar, { step: 10, testKey: 'oos', trainKey: 'fit' }).generate(t);
    expect(tasks.map(segsOf)).toEqual([
      { fit: seg(4, 17), oos: seg(28, 37) },
      { fit: seg(4, 27), oos: seg(38, 47) },
    ]);
  });

  it('calls dsExtra on every generated task after its segments are set', () => {
    const seen: string[] = [];
    const gen = new RollingGen(calendar, {
      step: 10,
      dsExtra: (task, g) => {
        expect(g).toBe(gen);
        seen.push(task.dataset.kwargs.segments['test']![0]);
        task['tag'] = 'x';
      },
    });
    const tasks = gen.generate(A);
    expect(seen).toEqual([dateAt(28), dateAt(38)]);
    expect(tasks.every((t) => t['tag'] === 'x')).toBe(true);
  });

  it('never changes the template and returns plain JSON tasks', () => {
    const frozen = deepFreeze(JSON.parse(JSON.stringify(A)) as TaskDef);
    const tasks = new RollingGen(calendar, { step: 7, truncDays: 2, rtype: 'sliding' }).generate(frozen);
    expect(frozen).toEqual(A);
    for (const t of tasks) expect(JSON.parse(JSON.stringify(t))).toStrictEqual(t);
    expect(tasks[0]!.model).not.toBe(tasks[1]!.model);
    expect(tasks[0]!.record).toEqual([{ class: 'SignalRecord' }]);
  });

  it('keeps everything else of the template', () => {
    const tasks = new RollingGen(calendar, { step: 10 }).generate(A);
    for (const t of tasks) {
      expect(t.model).toEqual(A.model);
      expect(hk(t).start_time).toBe('2024-01-01');
      expect(hk(t).instruments).toBe('csi300');
    }
  });
});

describe('RollingGen errors', () => {
  it('a segment end before the calendar start', () => {
    const t = template({ train: ['2023-06-01', '2023-12-31'], test: ['2024-02-10', '2024-03-10'] });
    const e = errorOf(() => new RollingGen(calendar, { step: 10 }).generate(t));
    expect(e.code).toBe('QONLINE_DATE_OUT_OF_RANGE');
    expect(e.message).toContain('2023-12-31');
  });

  it('a test start after the calendar end', () => {
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-04-01', null] });
    expect(errorOf(() => new RollingGen(calendar).generate(t)).code).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });

  it('truncDays reaching before the calendar start', () => {
    const t = template({ train: ['2024-01-02', '2024-01-03'], test: ['2024-01-04', null] });
    expect(errorOf(() => new RollingGen(calendar, { truncDays: 3 }).generate(t)).code).toBe('QONLINE_DATE_OUT_OF_RANGE');
  });

  it('a task without the test segment or without segments', () => {
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-10', null] });
    delete t.dataset.kwargs.segments['test'];
    expect(errorOf(() => new RollingGen(calendar).generate(t)).message).toMatch(/no "test" segment at \/dataset\/kwargs\/segments/);
    const u = { model: { class: 'M' }, dataset: { class: 'D', kwargs: {} } } as unknown as TaskDef;
    expect(errorOf(() => new RollingGen(calendar).generate(u)).code).toBe('QONLINE_CONFIG_INVALID');
  });

  it('malformed segments', () => {
    const t = template({ train: ['2024-01-02', '2024-02-09'], test: ['2024-02-10', null] });
    t.dataset.kwargs.segments['valid'] = ['2024-02-01'] as unknown as Segment;
    expect(errorOf(() => new RollingGen(calendar).generate(t)).code).toBe('QONLINE_CONFIG_INVALID');
  });

  it('bad options: YAML options are checked by the kernel against the schema, library-only keys by the constructor', async () => {
    const scope = kernelScope(calendar);
    for (const kwargs of [{ step: 0 }, { step: 2.5 }, { rtype: 'rolling' }, { trunc_days: -1 }, { stpe: 3 }]) {
      await expect(scope.resolve('taskGenerator', { class: 'RollingGen', kwargs })).rejects.toMatchObject({ code: 'QONLINE_CONFIG_INVALID' });
    }
    await expect(scope.resolve('taskGenerator', { class: 'RollingGen', kwargs: { stpe: 3 } })).rejects.toThrow(/unknown property "stpe" \(did you mean "step"/);
    expect(((await scope.resolve('taskGenerator', { class: 'RollingGen', kwargs: { step: 7, trunc_days: 2 } })) as RollingGen).truncDays).toBe(2);
    expect(errorOf(() => new RollingGen(calendar, { testKey: '' })).code).toBe('QONLINE_CONFIG_INVALID');
  });
});

describe('RollingGen.genFollowingTasks', () => {
  const gen = new RollingGen(calendar, { step: 10 });
  const [first] = gen.generate(A);

  it('gives the tasks after the given one whose test start is on or before the date', () => {
    // following test starts 38 (28 Feb), 48 (13 Mar), 58 (27 Mar)
    expect(gen.genFollowingTasks(first!, '2024-03-20').map((t) => segsOf(t)['test'])).toEqual([seg(38, 47), seg(48, 57)]);
    expect(gen.genFollowingTasks(first!, '2024-03-16').length).toBe(2);
    expect(gen.genFollowingTasks(first!, '2024-03-13').length).toBe(2);
    expect(gen.genFollowingTasks(first!, '2024-03-12').length).toBe(1);
    expect(gen.genFollowingTasks(first!, '2024-02-27')).toEqual([]);
    // through the calendar end: 58 is the last start; its end (67) is open
    const all = gen.genFollowingTasks(first!, '2025-01-01');
    expect(all.map((t) => segsOf(t)['test'])).toEqual([seg(38, 47), seg(48, 57), [dateAt(58), null]]);
    expect(all.map((t) => segsOf(t)['train'])).toEqual([seg(4, 27), seg(4, 37), seg(4, 47)]);
  });

  it('agrees with generate on the tasks they both give', () => {
    expect(gen.genFollowingTasks(first!, '2024-03-10')).toEqual(gen.generate(A).slice(1));
  });

  it('rolls from a later task as the routine does (from its stored definition)', () => {
    const stored = JSON.parse(JSON.stringify(gen.generate(A)[1])) as TaskDef;
    const next = gen.genFollowingTasks(stored, '2024-03-28');
    expect(next.map((t) => segsOf(t)['test'])).toEqual([seg(48, 57), [dateAt(58), null]]);
    expect(next.map((t) => hk(t).end_time)).toEqual([dateAt(57), null]);
    expect(next.map((t) => hk(t).fit_end_time)).toEqual([dateAt(37), dateAt(47)]);
  });

  it('rejects a malformed date', () => {
    expect(errorOf(() => gen.genFollowingTasks(first!, '20240301')).code).toBe('QONLINE_CONFIG_INVALID');
  });
});
