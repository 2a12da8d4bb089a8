import { QonlineError, type HandlerFrame, type Processor } from '../../../../core/index.js';
import { cloneFrame, sliceDates } from './frame-rows.js';

/**
 * Shared behaviour of the built-in processors. Each implements
 * `applyInPlace`, which may overwrite the frame's typed arrays; `apply`
 * (the contract) first copies them, so callers' frames are never changed.
 * The pipeline helpers copy once and then chain `applyInPlace`.
 */
export abstract class BaseProcessor implements Processor {
  abstract readonly name: string;
  readonly forInfer: boolean = true;

  fit(_frame: HandlerFrame): void {}

  apply(frame: HandlerFrame): HandlerFrame {
    return this.applyInPlace(cloneFrame(frame));
  }

  /** Processes a frame whose typed arrays the caller owns (they may be overwritten). */
  abstract applyInPlace(frame: HandlerFrame): HandlerFrame;

  /** The arrays `applyInPlace` overwrites (all unless a processor says less). */
  writes(): FrameParts {
    return ALL_PARTS;
  }

  /**
   * Processes a frame of which the caller owns only the arrays `owns`
   * accepts: the others are never written. By default the arrays
   * `applyInPlace` writes and the caller does not own are copied first;
   * processors override this to write their result into new arrays
   * directly, saving a pass over the frame.
   */
  applyOwned(frame: HandlerFrame, owns: (a: ArrayBufferView) => boolean): HandlerFrame {
    return this.applyInPlace(ownParts(frame, this.writes(), owns));
  }

  state(): unknown {
    return null;
  }

  load(_state: unknown): void {}
}

/** Which typed arrays of a frame a step writes: rowDate/rowInst, features, labels. */
export interface FrameParts {
  rows: boolean;
  features: boolean;
  labels: boolean;
}

export const ALL_PARTS: FrameParts = Object.freeze({ rows: true, features: true, labels: true });

/** The parts a fields_group covers (null: features and labels). */
export function groupParts(group: 'feature' | 'label' | null): FrameParts {
  return { rows: false, features: group !== 'label', labels: group !== 'feature' };
}

/** `frame` with a copy of each array in `parts` that `owns` rejects. */
export function ownParts(frame: HandlerFrame, parts: FrameParts, owns: (a: ArrayBufferView) => boolean): HandlerFrame {
  const copyRows = parts.rows && (!owns(frame.rowDate) || !owns(frame.rowInst));
  const copyFeatures = parts.features && !owns(frame.features);
  const copyLabels = parts.labels && !owns(frame.labels);
  if (!copyRows && !copyFeatures && !copyLabels) return frame;
  return {
    ...frame,
    rowDate: copyRows ? frame.rowDate.slice() : frame.rowDate,
    rowInst: copyRows ? frame.rowInst.slice() : frame.rowInst,
    features: copyFeatures ? frame.features.slice() : frame.features,
    labels: copyLabels ? frame.labels.slice() : frame.labels,
  };
}

/** Whether a processor can be chained in place (one of ours). */
export function isBaseProcessor(p: Processor): p is BaseProcessor {
  return p instanceof BaseProcessor;
}

/**
 * Base of processors fitted on a date window (Qlib's fit_start_time /
 * fit_end_time). `fit` restricts the rows it is given to that window when
 * the options set one, and refuses an empty window.
 */
export abstract class FittedProcessor<S> extends BaseProcessor {
  protected fitted: S | undefined;

  constructor(
    readonly fitStartTime: string | null,
    readonly fitEndTime: string | null,
  ) {
    super();
  }

  override fit(frame: HandlerFrame): void {
    const window = sliceDates(frame, this.fitStartTime, this.fitEndTime);
    if (window.rows === 0) {
      const span = frame.rows > 0 ? `${frame.dates[frame.rowDate[0]!]} .. ${frame.dates[frame.rowDate[frame.rows - 1]!]}` : 'no rows';
      throw new QonlineError(
        'QONLINE_DATA_INVALID',
        `${this.name} has no rows to fit on: fit window ${this.fitStartTime ?? '(open)'} .. ${this.fitEndTime ?? '(open)'}, frame ${span}.`,
        { hint: 'Set fit_start_time / fit_end_time inside the handler data range.' },
      );
    }
    this.fitted = this.fitWindow(window);
  }

  protected abstract fitWindow(window: HandlerFrame): S;

  protected requireFitted(): S {
    if (this.fitted === undefined) {
      throw new QonlineError('QONLINE_INTERNAL', `${this.name} was applied before it was fitted or loaded.`);
    }
    return this.fitted;
  }

  override state(): unknown {
    return this.fitted === undefined ? null : { processor: this.name, ...this.encodeState(this.fitted) };
  }

  override load(state: unknown): void {
    if (state === null || state === undefined) {
      this.fitted = undefined;
      return;
    }
    const bad = (why: string) =>
      new QonlineError('QONLINE_DATA_INVALID', `Cannot load ${this.name} state: ${why}.`, {
        hint: 'Load the state saved by the same processor class.',
      });
    if (typeof state !== 'object' || Array.isArray(state)) throw bad(`expected an object, found ${Array.isArray(state) ? 'an array' : typeof state}`);
    const obj = state as Record<string, unknown>;
    if (obj['processor'] !== this.name) throw bad(`it was saved by ${String(obj['processor'])}`);
    const decoded = this.decodeState(obj);
    if (typeof decoded === 'string') throw bad(decoded);
    this.fitted = decoded;
  }

  protected abstract encodeState(fitted: S): Record<string, unknown>;
  /** The fitted parameters, or a string saying what is wrong. */
  protected abstract decodeState(obj: Record<string, unknown>): S | string;
}
