import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Calendar, type Segment, type TaskDef } from '../../../../core/index.js';
import { TimeAdjuster } from '../../../../core/calendar/time-adjuster.js';
import { MultiHorizonGen } from '../../../../plugins/rolling/src/multi-horizon-gen.js';
import { RollingGen, type RollingType } from '../../../../plugins/rolling/src/rolling-gen.js';
import { DATES } from '../../../fixtures/rolling/test-calendar.js';

/**
 * Output of Qlib's own RollingGen / MultiHorizonGenBase on the test calendar,
 * written by test/fixtures/rolling/qlib-rolling-reference.py. Segments and
 * handler end times must match exactly wherever qonline does not deliberately
 * differ; the recorded quirks show where it does.
 */
interface Reference {
  calendar: string[];
  rolling: {
    name: string;
    options: { step: number; rtype: RollingType; trunc_days?: number };
    template: TaskDef;
    tasks: { segments: Record<string, Segment>; handler_end_time: string | null }[];
  }[];
  following: { options: { step: number; rtype: RollingType }; task: TaskDef; test_end: string; tasks: Record<string, Segment>[] };
  multi_horizon: {
    options: { horizons: number[]; label_leak_n: number };
    template: TaskDef;
    tasks: { segments: Record<string, Segment>; label: unknown }[];
  };
  qlib_quirks: Record<string, unknown>;
}

const ref = JSON.parse(readFileSync(new URL('../../../fixtures/rolling/qlib-rolling-reference.json', import.meta.url), 'utf8')) as Reference;
const calendar = new Calendar(ref.calendar);

describe('Qlib reference fixture', () => {
  it('was built on the same calendar as the other tests', () => {
    expect(ref.calendar).toEqual(DATES);
  });

  for (const c of ref.rolling) {
    it(`RollingGen matches Qlib: ${c.name}`, () => {
      const gen = new RollingGen(calendar, { step: c.options.step, rtype: c.options.rtype, truncDays: c.options.trunc_days ?? null });
      const tasks = gen.generate(c.template);
      expect(tasks.map((t) => t.dataset.kwargs.segments)).toEqual(c.tasks.map((t) => t.segments));
      expect(tasks.map((t) => t.dataset.kwargs.handler.kwargs.end_time)).toEqual(c.tasks.map((t) => t.handler_end_time));
    });
  }

  it('genFollowingTasks matches Qlib gen_following_tasks', () => {
    const f = ref.following;
    const gen = new RollingGen(calendar, { step: f.options.step, rtype: f.options.rtype });
    expect(gen.genFollowingTasks(f.task, f.test_end).map((t) => t.dataset.kwargs.segments)).toEqual(f.tasks);
  });

  it('MultiHorizonGen matches a MultiHorizonGenBase that sets the same label', () => {
    const m = ref.multi_horizon;
    const tasks = new MultiHorizonGen(calendar, { horizons: m.options.horizons, labelLeakN: m.options.label_leak_n }).generate(m.template);
    expect(tasks.map((t) => t.dataset.kwargs.segments)).toEqual(m.tasks.map((t) => t.segments));
    expect(tasks.map((t) => t.dataset.kwargs.handler.kwargs['label'])).toEqual(m.tasks.map((t) => t.label));
  });

  it('records the Qlib behaviours qonline deliberately does not copy', () => {
    const ta = new TimeAdjuster(calendar);
    // Qlib aligns an end before the calendar to its last day; qonline refuses it.
    expect(ref.qlib_quirks['align_end_before_start']).toBe('2024-03-28');
    expect(() => ta.alignIndex('2023-12-01', 'end')).toThrow(/no trading date on or before/);
    // Qlib cannot truncate to the calendar's first day; qonline can.
    expect(ref.qlib_quirks['truncate_to_first_day_fails']).toBe(true);
    expect(ta.truncate(['2024-01-02', '2024-01-10'], '2024-01-05', 3)).toEqual(['2024-01-02', '2024-01-02']);
    // Qlib leaves a Saturday handler end before a Monday test end; qonline extends it.
    expect(ref.qlib_quirks['handler_end_weekend']).toBe('2024-02-24');
    // Qlib crashes when a test start lands one row past the calendar; qonline stops.
    expect(ref.qlib_quirks['step_onto_calendar_end_crashes']).toBe(true);
  });
});
