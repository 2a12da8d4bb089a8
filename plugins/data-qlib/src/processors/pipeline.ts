import { QonlineError, type FetchMode, type HandlerFrame, type Processor } from '../../../../core/index.js';
import { isBaseProcessor } from './base-processor.js';
import { dateBlockStarts, sliceDates } from './frame-rows.js';

/**
 * Qlib's DataHandlerLP process types: `append` (default) feeds the learn
 * processors the infer processors' output; `independent` feeds them the raw
 * frame.
 */
export type ProcessType = 'append' | 'independent';

export interface ApplyOptions {
  /** The caller hands over the frame's typed arrays: no copy is made and they may be overwritten. */
  inPlace?: boolean;
}

/** Throws QONLINE_DATA_INVALID when the frame's arrays disagree with its row and column counts, or its rows are not date-major. */
export function checkFrame(frame: HandlerFrame): void {
  const f = frame.featureNames.length;
  const l = frame.labelNames.length;
  const problems: string[] = [];
  if (frame.rowDate.length !== frame.rows) problems.push(`rowDate has ${frame.rowDate.length} entries`);
  if (frame.rowInst.length !== frame.rows) problems.push(`rowInst has ${frame.rowInst.length} entries`);
  if (frame.features.length !== frame.rows * f) problems.push(`features has ${frame.features.length} values, not ${frame.rows} x ${f}`);
  if (frame.labels.length !== frame.rows * l) problems.push(`labels has ${frame.labels.length} values, not ${frame.rows} x ${l}`);
  if (problems.length === 0) dateBlockStarts(frame); // throws unless rows are date-major
  if (problems.length > 0) {
    throw new QonlineError('QONLINE_DATA_INVALID', `Malformed handler frame of ${frame.rows} rows: ${problems.join('; ')}.`, { details: problems });
  }
}

/**
 * Runs `processors` in order on `frame` (no fitting). The input is left
 * untouched unless `inPlace`: the frame is copied once, then the built-in
 * processors overwrite that copy.
 */
export function applyProcessors(processors: readonly Processor[], frame: HandlerFrame, options: ApplyOptions = {}): HandlerFrame {
  return run(processors, frame, null, options);
}

/**
 * Qlib's `_run_proc_l(with_fit=True)`: each processor is fitted on the rows
 * of [fitStart, fitEnd] (null bounds are open) of the frame as the previous
 * processors left it, then applied to the whole frame. Returns the processed
 * frame. Because every processor works row by row or date by date, passing
 * only the fit window's rows fits the same parameters.
 */
export function fitAndApply(
  processors: readonly Processor[],
  frame: HandlerFrame,
  fitStart: string | null,
  fitEnd: string | null,
  options: ApplyOptions = {},
): HandlerFrame {
  return run(processors, frame, { start: fitStart, end: fitEnd }, options);
}

function run(processors: readonly Processor[], frame: HandlerFrame, fit: { start: string | null; end: string | null } | null, options: ApplyOptions): HandlerFrame {
  checkFrame(frame);
  if (processors.length === 0) return frame;
  // The caller's arrays are never written (unless inPlace): each of our
  // processors copies, or writes anew, only the arrays it changes and does
  // not own yet; arrays made during the run are then changed in place.
  // Foreign processors follow the contract and never write their input.
  const callers = new Set<ArrayBufferLike>(options.inPlace ? [] : [frame.rowDate.buffer, frame.rowInst.buffer, frame.features.buffer, frame.labels.buffer]);
  const owns = (a: ArrayBufferView): boolean => !callers.has(a.buffer);
  let current = frame;
  for (const p of processors) {
    if (fit) p.fit(sliceDates(current, fit.start, fit.end));
    current = isBaseProcessor(p) ? p.applyOwned(current, owns) : p.apply(current);
  }
  return current;
}

/** Throws QONLINE_CONFIG_INVALID when a learn-only processor (e.g. DropnaLabel) is among the infer processors, as Qlib does. */
export function checkInferProcessors(infer: readonly Processor[]): void {
  const bad = infer.filter((p) => !p.forInfer).map((p) => p.name);
  if (bad.length > 0) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `Only processors usable at inference can be infer processors; ${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} learn-only.`, {
      hint: 'Move them to learn_processors.',
    });
  }
}

export interface InferLearnFrames {
  /** Raw frame through the infer processors. */
  infer: HandlerFrame;
  /** Through the learn processors too (on top of `infer` with `append`); shares the arrays of `infer` that no learn processor changed. */
  learn: HandlerFrame;
}

/**
 * DataHandlerLP's `process_data(with_fit=True)`: fits and applies the infer
 * processors on the raw frame, then the learn processors on the infer frame
 * (`append`) or on the raw frame (`independent`). The raw frame is not
 * changed unless `inPlace` (with `append` only: the caller hands its arrays
 * over, and the infer processors overwrite them instead of copying). To fit
 * once and serve later, pass only the fit window's rows here and use
 * `applyInferLearn` on other date ranges.
 */
export function fitInferLearn(
  infer: readonly Processor[],
  learn: readonly Processor[],
  frame: HandlerFrame,
  fitStart: string | null,
  fitEnd: string | null,
  processType: ProcessType = 'append',
  options: ApplyOptions = {},
): InferLearnFrames {
  checkInferProcessors(infer);
  const inferFrame = fitAndApply(infer, frame, fitStart, fitEnd, { inPlace: options.inPlace === true && processType === 'append' });
  const learnFrame = fitAndApply(learn, processType === 'append' ? inferFrame : frame, fitStart, fitEnd);
  return { infer: inferFrame, learn: learnFrame };
}

/**
 * Processes a frame with already fitted (or loaded) processors: `infer` runs
 * the infer processors; `learn` runs the learn processors too, as
 * `processType` says. The input is not changed unless `inPlace`.
 */
export function applyInferLearn(
  infer: readonly Processor[],
  learn: readonly Processor[],
  frame: HandlerFrame,
  mode: FetchMode,
  processType: ProcessType = 'append',
  options: ApplyOptions = {},
): HandlerFrame {
  if (mode === 'infer') return applyProcessors(infer, frame, options);
  if (processType === 'independent') return applyProcessors(learn, frame, options);
  return applyProcessors([...infer, ...learn], frame, options);
}

/** One processor's saved state, tagged with its name so a reordered list is caught on load. */
export interface SavedProcessorState {
  processor: string;
  state: unknown;
}

/** The fitted state of a processor list, JSON. */
export function saveProcessorStates(processors: readonly Processor[]): SavedProcessorState[] {
  return processors.map((p) => ({ processor: p.name, state: p.state() }));
}

/** Restores states saved by `saveProcessorStates` into a list built from the same specs. */
export function loadProcessorStates(processors: readonly Processor[], saved: unknown): void {
  const names = processors.map((p) => p.name);
  const ok =
    Array.isArray(saved) &&
    saved.length === processors.length &&
    saved.every((s, i) => s !== null && typeof s === 'object' && (s as SavedProcessorState).processor === names[i]);
  if (!ok) {
    const found = Array.isArray(saved) ? saved.map((s) => (s && typeof s === 'object' ? String((s as SavedProcessorState).processor) : '?')) : [];
    throw new QonlineError(
      'QONLINE_DATA_INVALID',
      `Saved processor states do not match the processors: expected [${names.join(', ')}], found ${Array.isArray(saved) ? `[${found.join(', ')}]` : typeof saved}.`,
      { hint: 'Load the state saved with the same processor list.' },
    );
  }
  (saved as SavedProcessorState[]).forEach((s, i) => processors[i]!.load(s.state));
}
