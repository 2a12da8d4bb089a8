import type { CheckContext, ComponentKind, DataFacts, OptionProblem } from '../contracts/plugin.js';
import { isQonlineError } from '../errors/index.js';
import type { ComponentRegistry } from '../kernel/registry.js';
import type { SchemaValidator } from '../kernel/validator.js';
import type { ComponentSpec } from '../schema/builder.js';
import type { LoadedConfig } from './load.js';
import type { PipelineConfig } from './pipeline-schema.js';
import { configError, validateComponentSpec, type ConfigProblem, type FoundComponent } from './validate.js';

const UNKNOWN_FACTS: DataFacts = { fields: null, markets: null, calendar: null };

export interface CheckOptions {
  home: string;
  /** The data provider used when the config names none. */
  defaultData: ComponentSpec;
}

/**
 * The checks beyond the schemas, on a schema-valid config: the data
 * provider describes its data from its options (nothing generated or
 * written), then every component's own `check` runs against those facts,
 * then the pipeline-level rules (begin_time inside the data, the daemon's
 * schedule and time zone). Every problem is reported at once, located in
 * the config file. Returns the facts for callers that want them.
 */
export async function checkConfig(
  config: LoadedConfig,
  registry: ComponentRegistry,
  validator: SchemaValidator,
  found: readonly FoundComponent[],
  options: CheckOptions,
): Promise<DataFacts> {
  const pipeline = config.value as unknown as PipelineConfig;
  const dataSpec = (pipeline.data ?? options.defaultData) as ComponentSpec;
  const { facts, problems } = await checkComponents(config, registry, validator, found, dataSpec, pipeline.data ? '/data' : '', options);

  const begin = pipeline.manager.begin_time;
  if (begin && facts.calendar && begin > facts.calendar.last) {
    problems.push({
      pointer: '/manager/begin_time',
      message: `begin_time ${begin} is after the data's last date ${facts.calendar.last}`,
      hint: `the data covers ${facts.calendar.first} .. ${facts.calendar.last}`,
    });
  }
  if (pipeline.daemon) problems.push(...(await checkSchedule(pipeline.daemon.schedule, pipeline.daemon.timezone ?? undefined)));
  if (problems.length) throw configError(config, problems);
  return facts;
}

/**
 * The data provider describes its data from its options (nothing generated
 * or written), then every found component's own `check` runs against those
 * facts. Returns the facts and the problems (each at its JSON pointer).
 * Shared by pipeline configs and Qlib workflow files.
 */
export async function checkComponents(
  config: LoadedConfig,
  registry: ComponentRegistry,
  validator: SchemaValidator,
  found: readonly FoundComponent[],
  dataSpec: ComponentSpec,
  dataPointer: string,
  options: { home: string },
): Promise<{ facts: DataFacts; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const facts = await describeData(registry, dataSpec, dataPointer, config, options, problems);
  const runCheck = async (f: FoundComponent): Promise<void> => {
    const def = f.registered.def;
    if (!def.check) return;
    const base = `${f.pointer}/kwargs`;
    const ctx: CheckContext = {
      plugin: f.registered.plugin.name,
      component: def.name,
      data: facts,
      checkComponent: async (kind: ComponentKind, spec: unknown, path: string) => {
        const nested: FoundComponent[] = [];
        problems.push(...validateComponentSpec(kind, spec, base + path, registry, validator, nested));
        for (const n of nested) await runCheck(n);
      },
    };
    let found: OptionProblem[];
    try {
      found = await def.check(f.kwargs as never, ctx);
    } catch (e) {
      if (!isQonlineError(e)) throw e;
      found = [{ path: '', message: e.message, hint: e.hint }];
    }
    for (const p of found) problems.push({ pointer: base + p.path, message: `${def.name}: ${p.message}`, hint: p.hint });
  };
  for (const f of found) await runCheck(f);
  return { facts, problems };
}

async function describeData(
  registry: ComponentRegistry,
  spec: ComponentSpec,
  pointer: string,
  config: LoadedConfig,
  options: { home: string },
  problems: ConfigProblem[],
): Promise<DataFacts> {
  let def;
  try {
    def = registry.lookup('dataProvider', spec.class, spec.module_path).def;
  } catch {
    return UNKNOWN_FACTS; // reported by the schema pass
  }
  if (!def.describe) return UNKNOWN_FACTS;
  try {
    return await def.describe((spec.kwargs ?? {}) as never, { home: options.home, configDir: config.dir });
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    problems.push({ pointer: pointer ? `${pointer}/kwargs` : '', message: `${def.name}: ${e.message}`, hint: e.hint });
    return UNKNOWN_FACTS;
  }
}

/** Problems of a daemon schedule: a node-cron expression and an IANA time zone. */
export async function checkSchedule(schedule: string, timezone: string | undefined): Promise<ConfigProblem[]> {
  const out: ConfigProblem[] = [];
  // node-cron loads child_process (~1 ms): only configs with a schedule, and the daemon, load it.
  const { validate: cronValidate } = await import('node-cron');
  if (!cronValidate(schedule)) {
    out.push({ pointer: '/daemon/schedule', message: `${JSON.stringify(schedule)} is not a valid cron expression`, hint: 'five or six fields, e.g. `0 18 * * 1-5` (18:00 on weekdays)' });
  }
  if (timezone !== undefined && !isTimeZone(timezone)) {
    out.push({ pointer: '/daemon/timezone', message: `unknown time zone ${JSON.stringify(timezone)}`, hint: 'an IANA name such as Asia/Shanghai, America/New_York or UTC' });
  }
  return out;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
