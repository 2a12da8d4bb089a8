import type { ComponentSpec } from '../schema/builder.js';
import type { ComponentRegistry } from '../kernel/registry.js';
import type { SchemaValidator } from '../kernel/validator.js';
import type { StepConfig } from './pipeline-schema.js';
import { validateComponentSpec, type ConfigProblem } from './validate.js';

/** One `steps:` entry as a component spec, and where its options sit in the YAML. */
export interface NormalizedStep {
  spec: ComponentSpec;
  /** JSON pointer (inside the entry) of the step's name, and of its options. */
  namePointer: string;
  kwargsPointer: string;
}

/**
 * A `steps:` entry in any of its three forms: a name (`routine`), a
 * component (`{class: routine, kwargs: {cur_time: ...}}`), or the shorthand
 * `{routine: {cur_time: ...}}`.
 */
export function normalizeStep(entry: StepConfig): NormalizedStep {
  if (typeof entry === 'string') return { spec: { class: entry }, namePointer: '', kwargsPointer: '' };
  const obj = entry as Record<string, unknown>;
  if (typeof obj['class'] === 'string') return { spec: obj as unknown as ComponentSpec, namePointer: '/class', kwargsPointer: '/kwargs' };
  const [name, opts] = Object.entries(obj)[0]!;
  const key = '/' + name.replace(/~/g, '~0').replace(/\//g, '~1');
  return { spec: { class: name, kwargs: (opts ?? {}) as Record<string, unknown> }, namePointer: key, kwargsPointer: key };
}

/**
 * Checks the name and options of every step written as a name or in the
 * shorthand form (the `{class, kwargs}` form is checked with the other
 * components), reporting problems at the entry's own YAML position.
 */
export function checkSteps(steps: unknown, registry: ComponentRegistry, validator: SchemaValidator): ConfigProblem[] {
  if (!Array.isArray(steps)) return [];
  const problems: ConfigProblem[] = [];
  steps.forEach((entry: StepConfig, i) => {
    const n = normalizeStep(entry);
    if (n.namePointer === '/class') return;
    const base = `/steps/${i}`;
    for (const p of validateComponentSpec('step', n.spec, base, registry, validator)) {
      const rest = p.pointer.slice(base.length);
      const pointer = rest === '/class' ? base + n.namePointer : rest.startsWith('/kwargs') ? base + n.kwargsPointer + rest.slice('/kwargs'.length) : p.pointer;
      problems.push({ ...p, pointer });
    }
  });
  return problems;
}
