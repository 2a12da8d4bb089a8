import {
  QonlineError,
  TimeAdjuster,
  isIsoDate,
  plainJsonCopy,
  type Calendar,
  type Segment,
  type ShiftType,
  type TaskDef,
  type TaskGenerator,
} from '../../../core/index.js';
import { checkKey, fitWindowFollowsTrain, handlerKwargs, readSegments, writeSegments } from './task-fields.js';

export type RollingType = ShiftType;

export interface RollingGenOptions {
  /** Rows each task's segments move after the previous one's; also the first test segment's length. Default 40. */
  step?: number;
  /** `expanding` keeps the train start fixed (default, as Qlib); `sliding` moves it too. */
  rtype?: RollingType;
  /** Name of the test segment. Default `test`. */
  testKey?: string;
  /** Name of the train segment (the one that expands). Default `train`. */
  trainKey?: string;
  /** Cut every non-test segment to end this many rows before the test start (label leakage). Default null: no cut. */
  truncDays?: number | null;
  /** Extend the handler's `end_time` to cover each task's test segment (open test end -> open handler end). Default true. */
  extendHandlerEnd?: boolean;
  /** Keep the template's `fit_start_time`/`fit_end_time` for every task (Qlib's behaviour) instead of following each task's train segment. Default false. */
  keepTemplateFitWindow?: boolean;
  /** Extra change applied to each generated task after its segments and handler are set (Qlib's `ds_extra_mod_func`, minus the built-in handler change). */
  dsExtra?: ((task: TaskDef, gen: RollingGen) => void) | null;
}

/**
 * Rolling tasks from one template (Qlib's RollingGen). All arithmetic is in
 * calendar rows; see docs/task-generation.md for the rules and where they
 * differ from Qlib.
 */
export class RollingGen implements TaskGenerator {
  readonly ta: TimeAdjuster;
  readonly step: number;
  readonly rtype: RollingType;
  readonly testKey: string;
  readonly trainKey: string;
  readonly truncDays: number | null;
  readonly extendHandlerEnd: boolean;
  readonly keepTemplateFitWindow: boolean;
  private readonly dsExtra: ((task: TaskDef, gen: RollingGen) => void) | null;

  constructor(calendar: Calendar, options: RollingGenOptions = {}) {
    this.ta = new TimeAdjuster(calendar);
    // step, rtype and truncDays arrive validated (the kernel checks RollingGen's schema once); only defaults here.
    this.step = options.step ?? 40;
    this.rtype = options.rtype ?? 'expanding';
    this.testKey = checkKey(options.testKey ?? 'test', 'RollingGen testKey');
    this.trainKey = checkKey(options.trainKey ?? 'train', 'RollingGen trainKey');
    this.truncDays = options.truncDays ?? null;
    this.extendHandlerEnd = options.extendHandlerEnd ?? true;
    this.keepTemplateFitWindow = options.keepTemplateFitWindow ?? false;
    this.dsExtra = options.dsExtra ?? null;
  }

  generate(task: TaskDef): TaskDef[] {
    const first = plainJsonCopy(task);
    const segments = readSegments(first, [this.testKey], 'RollingGen');
    const aligned: Record<string, Segment> = {};
    for (const [key, seg] of Object.entries(segments)) aligned[key] = this.ta.alignSegment(seg);

    // The template's test end bounds the test starts, not the test ends.
    const lastTestStart = aligned[this.testKey]![1] ?? this.ta.maxDate();
    const testStartIdx = this.ta.alignIndex(aligned[this.testKey]![0], 'start');
    aligned[this.testKey] = [this.ta.get(testStartIdx), this.dateOrOpen(testStartIdx + this.step - 1)];

    if (this.truncDays !== null) {
      const testStart = aligned[this.testKey]![0];
      for (const key of Object.keys(aligned)) {
        if (key !== this.testKey) aligned[key] = this.ta.truncate(aligned[key]!, testStart, this.truncDays);
      }
    }
    this.applySegments(first, aligned);
    return [first, ...this.genFollowingTasks(first, lastTestStart)];
  }

  /**
   * The tasks that follow `task` (excluded) in its rolling sequence, up to the
   * last one whose test start is on or before `testEnd`; fewer when the
   * calendar ends first.
   */
  genFollowingTasks(task: TaskDef, testEnd: string): TaskDef[] {
    if (!isIsoDate(testEnd)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `genFollowingTasks: test end must be a YYYY-MM-DD date, found ${JSON.stringify(testEnd)}`);
    }
    const out: TaskDef[] = [];
    let prev = readSegments(task, [this.testKey], 'RollingGen');
    for (;;) {
      const keys = Object.keys(prev);
      // Stop, rather than fail, once any segment's start would leave the calendar.
      if (keys.some((k) => this.ta.shiftedStartIndex(prev[k]!, this.step, this.shiftTypeOf(k)) === null)) break;
      const next: Record<string, Segment> = {};
      for (const k of keys) next[k] = this.ta.shift(prev[k]!, this.step, this.shiftTypeOf(k));
      if (next[this.testKey]![0] > testEnd) break;
      const t = plainJsonCopy(task);
      this.applySegments(t, next);
      out.push(t);
      prev = next;
    }
    return out;
  }

  private shiftTypeOf(key: string): ShiftType {
    return key === this.trainKey && this.rtype === 'expanding' ? 'expanding' : 'sliding';
  }

  private dateOrOpen(i: number): string | null {
    return i < this.ta.length ? this.ta.get(i) : null;
  }

  private applySegments(task: TaskDef, segments: Record<string, Segment>): void {
    writeSegments(task, segments);
    const kwargs = handlerKwargs(task);
    if (kwargs !== null) {
      if (this.extendHandlerEnd) this.extendEndTime(kwargs, segments[this.testKey]![1]);
      const train = segments[this.trainKey];
      if (!this.keepTemplateFitWindow && train !== undefined) fitWindowFollowsTrain(kwargs, train, this.ta.maxDate());
    }
    this.dsExtra?.(task, this);
  }

  /**
   * The handler must load data through the test end, and an open test end
   * opens the handler end too, so an open-ended test segment keeps seeing new
   * data (Qlib's issue 2068). Dates are compared as they are, not after
   * aligning both as segment starts as Qlib does (which leaves a handler end
   * on a non-trading day short of the test end). A missing or null handler
   * end is already unbounded and stays as it is.
   */
  private extendEndTime(kwargs: Record<string, unknown>, testEnd: string | null): void {
    const end = kwargs['end_time'];
    if (typeof end !== 'string') return;
    if (testEnd === null) kwargs['end_time'] = null;
    else if (end < testEnd) kwargs['end_time'] = testEnd;
  }
}
