import type { ComponentSpec, Dataset, FitInfo, HandlerFrame, MatrixDataset, MatrixInput, Model, Resolver, SerializedModel } from '../../core/index.js';

/**
 * A resolver with a tiny in-memory dataset and a model whose fits are
 * counted, so trainers and the task pool can be tested without market data.
 * Model kwargs: `alpha` (its prediction), `fail` (every fit throws it),
 * `delay_ms` (an async fit: the event loop stays free).
 */
export class FakeResolver implements Resolver {
  readonly fits = new Map<string, number>();

  async resolve<T = unknown>(kind: string, spec: ComponentSpec): Promise<T> {
    if (kind === 'dataset') return fakeDataset(spec) as T;
    if (kind === 'model') return new FakeModel(spec.kwargs ?? {}, this.fits) as T;
    throw new Error(`FakeResolver cannot build a ${kind}`);
  }

  async restoreModel<T = unknown>(s: SerializedModel): Promise<T> {
    return new FakeModel(s.kwargs, this.fits) as T;
  }

  totalFits(): number {
    let n = 0;
    for (const v of this.fits.values()) n += v;
    return n;
  }
}

class FakeModel implements Model {
  readonly className = 'Fake';
  constructor(
    private readonly kwargs: Record<string, unknown>,
    private readonly fits: Map<string, number>,
  ) {}

  async fit(_train: MatrixDataset): Promise<FitInfo> {
    const key = JSON.stringify(this.kwargs);
    this.fits.set(key, (this.fits.get(key) ?? 0) + 1);
    if (typeof this.kwargs['delay_ms'] === 'number') await new Promise((r) => setTimeout(r, this.kwargs['delay_ms'] as number));
    if (typeof this.kwargs['fail'] === 'string') throw new Error(this.kwargs['fail']);
    return { rounds: 1, bestRound: 1, trainLoss: [], validLoss: [] };
  }

  predict(input: MatrixInput): Float32Array {
    return new Float32Array(input.rows).fill(Number(this.kwargs['alpha'] ?? 0));
  }

  toJSON(): SerializedModel {
    return { format: 'qonline-model', version: 1, class: 'Fake', kwargs: this.kwargs, state: null };
  }
}

function fakeDataset(spec: ComponentSpec): Dataset {
  const segments = (spec.kwargs as { segments: Record<string, [string, string | null]> }).segments;
  const frame = (start: string): HandlerFrame => ({
    rows: 2,
    dates: [start],
    instruments: ['A', 'B'],
    rowDate: Int32Array.of(0, 0),
    rowInst: Int32Array.of(0, 1),
    featureNames: ['x'],
    features: Float32Array.of(1, 2),
    labelNames: ['y'],
    labels: Float32Array.of(0.1, 0.2),
  });
  return {
    handler: {
      featureNames: ['x'],
      labelNames: ['y'],
      fetch: async (s) => frame(s),
      setup: async () => undefined,
      processorState: () => ({}),
      loadProcessorState: () => undefined,
    },
    segments,
    prepare: async (seg) => frame(typeof seg === 'string' ? segments[seg]![0] : seg[0]),
  };
}

export const silentLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

export const nullProgress = { start: () => ({ tick() {}, setTotal() {}, done() {} }) };
