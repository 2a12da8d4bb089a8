import { definePlugin, standaloneComponents, type ComponentSpec, type Processor, type StandaloneComponents } from '../../../../core/index.js';
import { PROCESSOR_COMPONENTS } from './components.js';

let components: StandaloneComponents | undefined;

function kernel(): StandaloneComponents {
  return (components ??= standaloneComponents([definePlugin({ name: 'data-qlib', version: '0.1.0', components: PROCESSOR_COMPONENTS })]));
}

/**
 * A processor used on its own, built by the kernel from its component (the
 * same validation as in a run: QONLINE_UNKNOWN_CLASS with did-you-mean,
 * QONLINE_CONFIG_INVALID listing every bad option).
 */
export function createProcessor(name: string, kwargs: Record<string, unknown> = {}): Processor {
  return kernel().create('processor', { class: name, kwargs });
}

/** A processor from Qlib's spec shapes: a class name alone, or `{class, kwargs}` (module_path is ignored). */
export function processorFromSpec(spec: string | ComponentSpec): Processor {
  return typeof spec === 'string' ? createProcessor(spec) : createProcessor(spec.class, spec.kwargs ?? {});
}
