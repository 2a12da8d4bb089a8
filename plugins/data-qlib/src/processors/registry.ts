import { QonlineError, type ComponentSpec, type Processor } from '../../../../core/index.js';
import { checkOptions } from './check-options.js';
import { CSRankNorm } from './cs-rank-norm.js';
import { CSZFillna } from './cs-zfillna.js';
import { CSZScoreNorm } from './cs-zscore-norm.js';
import { DropCol, FilterCol } from './column-filter.js';
import { DropnaFeature, DropnaLabel, DropnaProcessor } from './dropna-processor.js';
import { Fillna } from './fillna.js';
import { MinMaxNorm } from './min-max-norm.js';
import { ProcessInf } from './process-inf.js';
import { RobustZScoreNorm } from './robust-zscore-norm.js';
import { PROCESSOR_SCHEMAS } from './schemas.js';
import { TanhProcess } from './tanh-process.js';
import { ZScoreNorm } from './zscore-norm.js';

/** kwargs are checked against PROCESSOR_SCHEMAS before a factory sees them. */
const FACTORIES: Record<string, (kwargs: any) => Processor> = {
  RobustZScoreNorm: (k) => new RobustZScoreNorm(k),
  ZScoreNorm: (k) => new ZScoreNorm(k),
  MinMaxNorm: (k) => new MinMaxNorm(k),
  Fillna: (k) => new Fillna(k),
  DropnaProcessor: (k) => new DropnaProcessor(k),
  DropnaLabel: (k) => new DropnaLabel(k),
  DropnaFeature: (k) => new DropnaFeature(k),
  CSRankNorm: (k) => new CSRankNorm(k),
  CSZScoreNorm: (k) => new CSZScoreNorm(k),
  CSZFillna: (k) => new CSZFillna(k),
  ProcessInf: () => new ProcessInf(),
  FilterCol: (k) => new FilterCol(k),
  DropCol: (k) => new DropCol(k),
  TanhProcess: () => new TanhProcess(),
};

/** Processor names (Qlib class names) that createProcessor knows. */
export const PROCESSOR_NAMES: readonly string[] = Object.keys(FACTORIES);

/** Processors with a fit window (Qlib's handlers pass them fit_start_time / fit_end_time). */
export const FITTED_PROCESSOR_NAMES: readonly string[] = ['RobustZScoreNorm', 'ZScoreNorm', 'MinMaxNorm'];

/**
 * Builds a processor from its Qlib class name and kwargs. Unknown names throw
 * QONLINE_UNKNOWN_CLASS (with the closest names); kwargs that do not match
 * the processor's schema throw QONLINE_CONFIG_INVALID listing every problem.
 */
export function createProcessor(name: string, kwargs: Record<string, unknown> = {}): Processor {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) {
    const near = closest(name, PROCESSOR_NAMES);
    throw new QonlineError('QONLINE_UNKNOWN_CLASS', `Unknown processor "${name}"${near.length ? `; did you mean ${near.join(', ')}?` : '.'}`, {
      hint: `Known processors: ${PROCESSOR_NAMES.join(', ')}.`,
    });
  }
  const problems = checkOptions(PROCESSOR_SCHEMAS[name]!, kwargs ?? {});
  if (problems.length > 0) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `Invalid kwargs for processor ${name}: ${problems[0]}`, { details: problems });
  }
  return factory(kwargs ?? {});
}

/** A processor from Qlib's spec shapes: a class name alone, or `{class, kwargs}` (module_path is ignored). */
export function processorFromSpec(spec: string | ComponentSpec): Processor {
  if (typeof spec === 'string') return createProcessor(spec, {});
  return createProcessor(spec.class, spec.kwargs ?? {});
}

/**
 * Qlib's `check_transform_proc`: sets `fit_start_time` / `fit_end_time` of
 * every fitted processor to the handler's fit window (overriding any the spec
 * has, as Qlib does, so a rolled handler window reaches its processors).
 * Throws QONLINE_CONFIG_INVALID when a fitted processor is listed but the
 * window is missing.
 */
export function withFitWindow(
  specs: readonly (string | ComponentSpec)[],
  fitStart: string | null | undefined,
  fitEnd: string | null | undefined,
): ComponentSpec[] {
  return specs.map((spec) => {
    const s: ComponentSpec = typeof spec === 'string' ? { class: spec } : spec;
    if (!FITTED_PROCESSOR_NAMES.includes(s.class)) return { ...s, kwargs: { ...(s.kwargs ?? {}) } };
    if (fitStart == null || fitEnd == null) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `Processor ${s.class} needs a fit window, but fit_start_time or fit_end_time is not set.`, {
        hint: 'Set fit_start_time and fit_end_time in the handler kwargs.',
      });
    }
    return { ...s, kwargs: { ...(s.kwargs ?? {}), fit_start_time: fitStart, fit_end_time: fitEnd } };
  });
}

function closest(name: string, candidates: readonly string[]): string[] {
  const lower = name.toLowerCase();
  return candidates
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
