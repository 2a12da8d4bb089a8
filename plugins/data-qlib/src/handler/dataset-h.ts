import { QonlineError, type Dataset, type FetchMode, type Handler, type HandlerFrame } from '../../../../core/index.js';

/** A handler plus named segments (Qlib's DatasetH). */
export class DatasetH implements Dataset {
  constructor(
    readonly handler: Handler,
    readonly segments: Record<string, [string, string | null]>,
  ) {}

  async prepare(segment: string | [string, string | null], mode: FetchMode = 'infer'): Promise<HandlerFrame> {
    let seg: [string, string | null];
    if (typeof segment === 'string') {
      const s = this.segments[segment];
      if (!s) throw new QonlineError('QONLINE_CONFIG_INVALID', `dataset has no segment ${JSON.stringify(segment)} (has ${Object.keys(this.segments).join(', ')})`);
      seg = s;
    } else seg = segment;
    return this.handler.fetch(seg[0], seg[1] ?? null, mode);
  }
}
