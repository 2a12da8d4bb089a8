import type { ComponentKind } from '../contracts/plugin.js';
import { QonlineError, isQonlineError, type SourceLocation } from '../errors/index.js';
import type { ComponentRegistry, RegisteredComponent } from '../kernel/registry.js';
import type { SchemaValidator } from '../kernel/validator.js';
import type { LoadedConfig } from './load.js';
import { pipelineSchema } from './pipeline-schema.js';
import { checkSteps } from './steps.js';

export interface ConfigProblem {
  pointer: string;
  message: string;
  hint?: string;
  location?: SourceLocation;
}

type SchemaNode = Record<string, unknown>;

/** A schema-valid component spec found in the config (for the checks of check.ts). */
export interface FoundComponent {
  kind: ComponentKind;
  registered: RegisteredComponent;
  kwargs: unknown;
  /** JSON pointer of the spec (`{class, kwargs}`). */
  pointer: string;
}

/**
 * Validates the whole config: the pipeline schema, then every component spec
 * (`{class, kwargs}`) against its registered component's schema, recursively.
 * Every problem is reported at once.
 */
export function validateConfig(config: LoadedConfig, registry: ComponentRegistry, validator: SchemaValidator, found?: FoundComponent[]): void {
  const problems: ConfigProblem[] = [];
  for (const p of validator.validate(pipelineSchema, config.value)) problems.push({ pointer: p.path, message: p.message });
  if (problems.length === 0) {
    walk(pipelineSchema as SchemaNode, config.value, '', registry, validator, problems, found);
    problems.push(...checkSteps(config.value['steps'], registry, validator));
  }
  if (problems.length) throw configError(config, problems);
}

/** Validates one component spec found at `pointer` (used by the kernel for nested specs built at run time). */
export function validateComponentSpec(
  kind: ComponentKind,
  spec: unknown,
  pointer: string,
  registry: ComponentRegistry,
  validator: SchemaValidator,
  found?: FoundComponent[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkComponent(kind, spec, pointer, registry, validator, problems, found);
  return problems;
}

export function configError(config: LoadedConfig | undefined, problems: ConfigProblem[]): QonlineError {
  const located = problems.map((p) => ({ ...p, location: p.location ?? config?.locate(p.pointer, /unknown property/.test(p.message)) ?? { path: p.pointer } }));
  const lines = located.map((p) => {
    const loc = p.location!;
    const where = loc.file ? `${loc.file}${loc.line ? `:${loc.line}:${loc.column}` : ''}` : '';
    return `${where}${where ? ' ' : ''}at ${p.pointer || '/'}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
  });
  const first = located[0]!;
  const code = problems.some((p) => p.message.startsWith('unknown ') && p.message.includes(' class ')) ? 'QONLINE_UNKNOWN_CLASS' : 'QONLINE_CONFIG_INVALID';
  // Without a file (a component built from code), the JSON path is the only way to say which option is wrong.
  const head = config ? first.message : `at ${first.pointer || '/'}: ${first.message}`;
  return new QonlineError(code, `${head}${problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''}`, {
    location: first.location,
    details: lines,
    hint: first.hint,
  });
}

function checkComponent(
  kind: ComponentKind,
  spec: unknown,
  pointer: string,
  registry: ComponentRegistry,
  validator: SchemaValidator,
  problems: ConfigProblem[],
  found?: FoundComponent[],
): void {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec) || typeof (spec as SchemaNode)['class'] !== 'string') {
    problems.push({ pointer, message: `expected a ${kind} component {class: Name, kwargs: {...}}` });
    return;
  }
  const s = spec as { class: string; module_path?: string; kwargs?: unknown };
  let registered: RegisteredComponent;
  try {
    registered = registry.lookup(kind, s.class, s.module_path);
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    problems.push({ pointer: pointer + '/class', message: e.message, hint: e.hint });
    return;
  }
  const def = registered.def;
  const kwargs = s.kwargs ?? {};
  const before = problems.length;
  const bad = validator.validate(def.schema as object, kwargs);
  for (const p of bad) problems.push({ pointer: `${pointer}/kwargs${p.path}`, message: `${s.class}: ${p.message}` });
  if (bad.length === 0) {
    found?.push({ kind, registered, kwargs, pointer });
    walk(def.schema as SchemaNode, kwargs, pointer + '/kwargs', registry, validator, problems, found);
  }
  if (problems.length === before && (s.kwargs === undefined || Object.isFrozen(s.kwargs))) validator.markValidated(spec);
}

/** Finds nested component specs (schemas marked `x-qonline-kind`) inside a validated value. */
function walk(
  schema: SchemaNode,
  value: unknown,
  pointer: string,
  registry: ComponentRegistry,
  validator: SchemaValidator,
  problems: ConfigProblem[],
  found?: FoundComponent[],
): void {
  if (value === undefined || value === null) return;
  const kind = schema['x-qonline-kind'];
  if (typeof kind === 'string') {
    checkComponent(kind as ComponentKind, value, pointer, registry, validator, problems, found);
    return;
  }
  const anyOf = schema['anyOf'] as SchemaNode[] | undefined;
  if (anyOf) {
    // Walk the first branch the value matches.
    const branch = anyOf.find((b) => validator.validate(b, value).length === 0);
    if (branch) walk(branch, value, pointer, registry, validator, problems, found);
    return;
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (items && typeof items === 'object') value.forEach((v, i) => walk(items as SchemaNode, v, `${pointer}/${i}`, registry, validator, problems, found));
    return;
  }
  if (typeof value === 'object') {
    const props = (schema['properties'] ?? {}) as Record<string, SchemaNode>;
    const extra = schema['additionalProperties'];
    for (const [k, v] of Object.entries(value as SchemaNode)) {
      const sub = props[k] ?? (extra && typeof extra === 'object' ? (extra as SchemaNode) : undefined);
      if (sub) walk(sub, v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, registry, validator, problems, found);
    }
  }
}
