import { QonlineError, type ComponentSpec } from '../../../../core/index.js';

/** Processors with a fit window (Qlib's handlers pass them fit_start_time / fit_end_time). */
export const FITTED_PROCESSOR_NAMES: readonly string[] = ['RobustZScoreNorm', 'ZScoreNorm', 'MinMaxNorm'];

/**
 * Qlib's `check_transform_proc`: sets `fit_start_time` / `fit_end_time` of
 * every fitted processor to the handler's fit window (overriding any the spec
 * has, as Qlib does, so a rolled handler window reaches its processors).
 * Throws QONLINE_CONFIG_INVALID when a fitted processor is listed but the
 * window is missing. Specs that need no change are returned as they are.
 */
export function withFitWindow(
  specs: readonly (string | ComponentSpec)[],
  fitStart: string | null | undefined,
  fitEnd: string | null | undefined,
): ComponentSpec[] {
  return specs.map((spec) => {
    const s: ComponentSpec = typeof spec === 'string' ? { class: spec } : spec;
    if (!FITTED_PROCESSOR_NAMES.includes(s.class)) return s;
    if (fitStart == null || fitEnd == null) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `Processor ${s.class} needs a fit window, but fit_start_time or fit_end_time is not set.`, {
        hint: 'Set fit_start_time and fit_end_time in the handler kwargs.',
      });
    }
    return { ...s, kwargs: { ...(s.kwargs ?? {}), fit_start_time: fitStart, fit_end_time: fitEnd } };
  });
}
