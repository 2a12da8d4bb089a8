import { QonlineError, TimeAdjuster, plainJsonCopy, type Calendar, type Segment, type TaskDef, type TaskGenerator } from '../../../core/index.js';
import { checkKey, fitWindowFollowsTrain, handlerKwargs, readSegments, writeSegments } from './task-fields.js';

/** Qlib's default label (Alpha158/Alpha360) generalised: buy at T+1's close, sell h rows later. */
export const DEFAULT_LABEL_TEMPLATE = 'Ref($close, -{h+1})/Ref($close, -1) - 1';

export interface MultiHorizonGenOptions {
  /** One task per horizon (rows between buying and selling in the label). */
  horizons: number[];
  /** Rows after the prediction day before a horizon-1 label is known; segments end horizon + labelLeakN rows before the test start. Default 2. */
  labelLeakN?: number;
  /**
   * The label expression per horizon: a template where `{h}` is the horizon
   * and `{h+k}` / `{h-k}` the horizon plus or minus k, or a function.
   * Default DEFAULT_LABEL_TEMPLATE.
   */
  labelTemplate?: string | ((horizon: number) => string);
  /** Name of the label column. Default `LABEL0` (Qlib's). */
  labelName?: string;
  /** Name of the test segment, which is aligned but not cut. Default `test`. */
  testKey?: string;
  /** Name of the train segment the fit window follows. Default `train`. */
  trainKey?: string;
  /** Keep the template's fit window instead of following the cut train segment. Default false. */
  keepTemplateFitWindow?: boolean;
}

const PLACEHOLDER = /\{h(?:([+-])(\d+))?\}/g;

function renderTemplate(template: string, horizon: number): string {
  return template.replace(PLACEHOLDER, (_m, sign: string | undefined, n: string | undefined) =>
    String(sign === undefined ? horizon : sign === '+' ? horizon + Number(n) : horizon - Number(n)),
  );
}

/**
 * One task per label horizon (Qlib's MultiHorizonGenBase with the label set
 * in the handler's `label` kwarg, as Qlib's Alpha158/Alpha360 take it). Every
 * non-test segment is cut to end horizon + labelLeakN rows before the test
 * start, so no training label looks into the test period.
 */
export class MultiHorizonGen implements TaskGenerator {
  readonly ta: TimeAdjuster;
  readonly horizons: readonly number[];
  readonly labelLeakN: number;
  readonly labelName: string;
  readonly testKey: string;
  readonly trainKey: string;
  readonly keepTemplateFitWindow: boolean;
  private readonly label: (horizon: number) => string;

  constructor(calendar: Calendar, options: MultiHorizonGenOptions) {
    this.ta = new TimeAdjuster(calendar);
    // horizons and label_leak_n arrive validated (the kernel checks MultiHorizonGen's schema once).
    this.horizons = Object.freeze([...options.horizons]);
    this.labelLeakN = options.labelLeakN ?? 2;
    this.labelName = checkKey(options.labelName ?? 'LABEL0', 'MultiHorizonGen labelName');
    this.testKey = checkKey(options.testKey ?? 'test', 'MultiHorizonGen testKey');
    this.trainKey = checkKey(options.trainKey ?? 'train', 'MultiHorizonGen trainKey');
    this.keepTemplateFitWindow = options.keepTemplateFitWindow ?? false;

    const template = options.labelTemplate ?? DEFAULT_LABEL_TEMPLATE;
    if (typeof template === 'function') {
      this.label = template;
    } else if (typeof template === 'string' && template.match(PLACEHOLDER) !== null) {
      this.label = (h) => renderTemplate(template, h);
    } else {
      throw new QonlineError(
        'QONLINE_CONFIG_INVALID',
        `MultiHorizonGen labelTemplate must be an expression containing {h} (or {h+k}, {h-k}) or a function, found ${JSON.stringify(template)}`,
      );
    }
  }

  generate(task: TaskDef): TaskDef[] {
    return this.horizons.map((h) => this.forHorizon(task, h));
  }

  private forHorizon(task: TaskDef, horizon: number): TaskDef {
    const t = plainJsonCopy(task);
    const kwargs = handlerKwargs(t);
    if (kwargs === null) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', 'MultiHorizonGen: the task needs an inline handler with kwargs at /dataset/kwargs/handler/kwargs to set its label', {
        location: { path: '/dataset/kwargs/handler/kwargs' },
      });
    }
    const expr = this.label(horizon);
    if (typeof expr !== 'string' || expr === '') {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `MultiHorizonGen labelTemplate gave ${JSON.stringify(expr)} for horizon ${horizon}; expected an expression`);
    }
    kwargs['label'] = [[expr], [this.labelName]];

    const segments = readSegments(t, [this.testKey], 'MultiHorizonGen');
    const aligned: Record<string, Segment> = {};
    for (const [key, seg] of Object.entries(segments)) aligned[key] = this.ta.alignSegment(seg);
    const testStart = aligned[this.testKey]![0];
    for (const key of Object.keys(aligned)) {
      if (key !== this.testKey) aligned[key] = this.ta.truncate(aligned[key]!, testStart, horizon + this.labelLeakN);
    }
    writeSegments(t, aligned);
    const train = aligned[this.trainKey];
    if (!this.keepTemplateFitWindow && train !== undefined) fitWindowFollowsTrain(kwargs, train, this.ta.maxDate());
    return t;
  }
}
