import { QonlineError } from '../../../../core/index.js';
import type { DataProvider, FetchMode, FeatureFrame, FeatureRowBlocks, Handler, HandlerFrame, Processor } from '../../../../core/index.js';
import {
  applyProcessors,
  checkInferProcessors,
  fitInferLearn,
  loadProcessorStates,
  saveProcessorStates,
  rowMajorFromColumns,
  sliceDates,
  type ProcessType,
} from '../processors/index.js';
import { frameBuffers } from '../provider/frame-buffers.js';

export interface ExprHandlerOptions {
  instruments: string | string[];
  startTime: string;
  /** null = up to the latest data. */
  endTime: string | null;
  fitStartTime?: string | null;
  fitEndTime?: string | null;
  features: { fields: string[]; names: string[] };
  labels: { fields: string[]; names: string[] };
  inferProcessors: Processor[];
  learnProcessors: Processor[];
  processType?: ProcessType;
}

/**
 * A handler from named expressions (Qlib's DataHandlerLP over an expression
 * loader): loads [start_time, end_time] once, fits the processors on the fit
 * window (or loads their saved state), and serves date ranges of the infer
 * or learn frame.
 */
export class ExprHandler implements Handler {
  readonly featureNames: string[];
  readonly labelNames: string[];
  private readonly infer: Processor[];
  private readonly learn: Processor[];
  private loadedState: unknown = undefined;
  private frames?: { infer: HandlerFrame; learn?: HandlerFrame; raw?: HandlerFrame };

  constructor(
    private readonly provider: DataProvider,
    private readonly o: ExprHandlerOptions,
  ) {
    this.featureNames = [...o.features.names];
    this.labelNames = [...o.labels.names];
    this.infer = [...o.inferProcessors];
    this.learn = [...o.learnProcessors];
    checkInferProcessors(this.infer);
  }

  loadProcessorState(state: unknown): void {
    if (state === undefined || state === null) return;
    const s = state as { infer?: unknown; learn?: unknown };
    loadProcessorStates(this.infer, s.infer ?? []);
    loadProcessorStates(this.learn, s.learn ?? []);
    this.loadedState = state;
    this.frames = undefined;
  }

  processorState(): unknown {
    return { infer: saveProcessorStates(this.infer), learn: saveProcessorStates(this.learn) };
  }

  async setup(): Promise<void> {
    if (this.frames) return;
    const request = {
      instruments: this.o.instruments,
      fields: [...this.o.features.fields, ...this.o.labels.fields],
      start: this.o.startTime,
      end: this.o.endTime,
    };
    // Row-major straight from the provider when it can; a transposition of its columns otherwise.
    const raw = this.provider.featureRows
      ? fromRowBlocks(await this.provider.featureRows(request, [this.featureNames.length, this.labelNames.length]), this.featureNames, this.labelNames)
      : toHandlerFrame(await this.provider.features(request), this.featureNames, this.labelNames);
    if (this.loadedState !== undefined) {
      // Loaded (already fitted) processors serve predictions: the learn frame is built only if asked for.
      const independent = this.o.processType === 'independent';
      // With `append` the raw frame is not kept: the infer processors may overwrite it.
      this.frames = { infer: applyProcessors(this.infer, raw, { inPlace: !independent }), raw: independent ? raw : undefined };
    } else {
      // The raw frame is ours and dropped afterwards: let the processors work on it in place.
      this.frames = fitInferLearn(this.infer, this.learn, raw, this.o.fitStartTime ?? null, this.o.fitEndTime ?? null, this.o.processType ?? 'append', { inPlace: true });
    }
  }

  /**
   * Ends the handler's use (its scope is disposed: the task that fetched
   * from it is over, and no frame it served is referenced any more): the
   * frames' pooled arrays go back to this thread's pool for the next
   * handler. A later fetch loads the data again.
   */
  release(): void {
    const frames = this.frames;
    this.frames = undefined;
    if (!frames) return;
    for (const f of [frames.infer, frames.learn, frames.raw]) {
      if (!f) continue;
      frameBuffers.release(f.features);
      frameBuffers.release(f.labels);
    }
  }

  async fetch(start: string, end: string | null, mode: FetchMode): Promise<HandlerFrame> {
    await this.setup();
    const frames = this.frames!;
    if (mode === 'learn' && !frames.learn) {
      // Learn processors run on the infer frame (`append`) or on the raw frame (`independent`), as Qlib's DataHandlerLP.
      frames.learn = applyProcessors(this.learn, frames.raw ?? frames.infer);
      frames.raw = undefined;
    }
    return sliceDates(mode === 'learn' ? frames.learn! : frames.infer, start, end);
  }
}

/** Column-major provider output -> row-major features and labels. */
export function toHandlerFrame(frame: FeatureFrame, featureNames: string[], labelNames: string[]): HandlerFrame {
  const f = featureNames.length;
  const l = labelNames.length;
  const n = frame.rows;
  // Blocked transposition: sequential reads per column block, cache-friendly writes.
  const features = rowMajorFromColumns(frame.data.slice(0, f), n);
  const labels = rowMajorFromColumns(frame.data.slice(f, f + l), n);
  return {
    rows: n,
    dates: frame.dates,
    instruments: frame.instruments,
    rowDate: frame.rowDate,
    rowInst: frame.rowInst,
    featureNames,
    features,
    labelNames,
    labels,
  };
}

/** Row-major provider output (blocks: features, labels) -> handler frame. */
export function fromRowBlocks(frame: FeatureRowBlocks, featureNames: string[], labelNames: string[]): HandlerFrame {
  const [fw, lw] = frame.widths;
  if (frame.blocks.length !== 2 || fw !== featureNames.length || lw !== labelNames.length) {
    throw new QonlineError('QONLINE_DATA_INVALID', `The provider returned blocks of widths [${frame.widths.join(', ')}], not [${featureNames.length}, ${labelNames.length}] (features, labels).`);
  }
  return {
    rows: frame.rows,
    dates: frame.dates,
    instruments: frame.instruments,
    rowDate: frame.rowDate,
    rowInst: frame.rowInst,
    featureNames,
    features: frame.blocks[0]!,
    labelNames,
    labels: frame.blocks[1]!,
  };
}
