import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  defineComponent,
  definePlugin,
  featureCacheShare,
  QonlineError,
  S,
  TOKENS,
  type ComponentContext,
  type ComponentSpec,
  type Handler,
  type Processor,
} from '../../core/index.js';
import { DatasetH } from './src/handler/dataset-h.js';
import { ExprHandler } from './src/handler/expr-handler.js';
import { PROCESSOR_COMPONENTS, withFitWindow } from './src/processors/index.js';
import { QlibDataProvider } from './src/provider/qlib-provider.js';
import { alpha158Fields, alpha360Fields, ALPHA158_DEFAULTS, ALPHA360_DEFAULTS, type FeatureSet, type HandlerDefaults } from './src/alpha/index.js';
import { generateSyntheticMarket, SYNTH_MANIFEST_FILE } from './src/synth/index.js';
import { readCalendarSync } from './src/storage/calendar-file.js';
import { DATA_COMMANDS } from './src/cli/data-commands.js';
import { checkHandler, checkSegments } from './src/handler/check-options.js';
import { describeQlibFolder, describeSynthetic } from './src/provider/describe-data.js';

export { QlibDataProvider } from './src/provider/qlib-provider.js';
export { ExprHandler, toHandlerFrame } from './src/handler/expr-handler.js';
export { DatasetH } from './src/handler/dataset-h.js';
export { generateSyntheticMarket } from './src/synth/index.js';
export * as storage from './src/storage/index.js';

/** Defaults of the embedded synthetic market (what `configs/` run on). */
export const DEFAULT_SYNTH = { instruments: 60, start: '2018-01-01', end: '2021-12-31', seed: 7 };

const synthSchema = S.object({
  instruments: S.optional(S.integer({ minimum: 2, maximum: 5000, default: DEFAULT_SYNTH.instruments, description: 'Number of instruments.' })),
  start: S.optional(S.date({ default: DEFAULT_SYNTH.start, description: 'First calendar date.' })),
  end: S.optional(S.date({ default: DEFAULT_SYNTH.end, description: 'Last calendar date.' })),
  seed: S.optional(S.integer({ default: DEFAULT_SYNTH.seed, description: 'Random seed: the same seed gives the same market.' })),
  cache_mib: S.optional(S.integer({ minimum: 16, description: 'Feature cache budget in MiB.' })),
  disk_cache: S.optional(S.boolean({ description: 'Keep computed features under <home>/cache/features (default true).' })),
  threads: S.optional(S.integer({ minimum: 0, maximum: 64, description: 'Worker threads evaluating features: 0 = automatic (up to 4 for large requests, 1 for small ones), 1 = the calling thread only.' })),
  expressions: S.optional(S.enum(['default', 'qlib'], { description: "Expression semantics: `default` (docs/expressions.md) or `qlib` (Qlib's behaviour bit for bit where the default deliberately differs: Ref(x, 0), Delta(x, 0), EMA(x, 0), windows between 0 and 1, IdxMax/IdxMin over NaN, values that depend on where loading started)." })),
});

/** Generates (once; cached under the home folder) and opens the seeded synthetic market. */
export async function openSyntheticMarket(
  home: string,
  options: { instruments?: number; start?: string; end?: string; seed?: number; cache_mib?: number; disk_cache?: boolean; threads?: number; expressions?: 'default' | 'qlib' } = {},
): Promise<QlibDataProvider> {
  const opts = {
    instruments: options.instruments ?? DEFAULT_SYNTH.instruments,
    start: options.start ?? DEFAULT_SYNTH.start,
    end: options.end ?? DEFAULT_SYNTH.end,
    seed: options.seed ?? DEFAULT_SYNTH.seed,
  };
  const { id, dir } = syntheticMarketDir(home, opts);
  await generateSyntheticMarket(dir, opts);
  return new QlibDataProvider({ id, uri: dir, cacheMiB: options.cache_mib, cacheDir: options.disk_cache === false ? undefined : path.join(home, 'cache', 'features', id), threads: options.threads, expressions: options.expressions, diskWriteShare: featureCacheShare() });
}

/** Where the synthetic market of these options lives under the home (one folder per option set). */
function syntheticMarketDir(home: string, options: { instruments?: number; start?: string; end?: string; seed?: number }): { id: string; dir: string } {
  const opts = {
    instruments: options.instruments ?? DEFAULT_SYNTH.instruments,
    start: options.start ?? DEFAULT_SYNTH.start,
    end: options.end ?? DEFAULT_SYNTH.end,
    seed: options.seed ?? DEFAULT_SYNTH.seed,
  };
  const id = `synth-${createHash('sha256').update(JSON.stringify(opts)).digest('hex').slice(0, 12)}`;
  return { id, dir: path.join(home, 'data', id) };
}

const syntheticMarket = defineComponent({
  kind: 'dataProvider',
  name: 'SyntheticMarket',
  aliases: ['synthetic'],
  description: 'The embedded seeded synthetic market, generated once into the home folder in Qlib binary layout.',
  schema: synthSchema,
  deps: { home: TOKENS.home },
  create: (o, ctx) => openSyntheticMarket(ctx.deps.home, o),
  dispose: (provider) => provider.close(),
  // Generated on first use: until then (no manifest) there is no calendar on disk.
  tradingDays: (o, ctx) => {
    const { dir } = syntheticMarketDir(ctx.home, o);
    return existsSync(path.join(dir, SYNTH_MANIFEST_FILE)) ? readCalendarSync(dir, 'day') : null;
  },
  describe: async (o) => ({ ...(await describeSynthetic({ start: o.start ?? DEFAULT_SYNTH.start, end: o.end ?? DEFAULT_SYNTH.end })), ...(o.expressions ? { expressions: o.expressions } : {}) }),
});

const qlibData = defineComponent({
  kind: 'dataProvider',
  name: 'QlibData',
  aliases: ['qlib'],
  description: "Market data in Qlib's binary layout (calendars/, instruments/, features/).",
  schema: S.object({
    uri: S.string({ description: 'The data folder (provider_uri), relative to the working directory.' }),
    id: S.optional(S.string({ pattern: '^[A-Za-z0-9_.-]+$', description: 'Stable name of this data (default: the folder name).' })),
    cache_mib: S.optional(S.integer({ minimum: 16, description: 'Feature cache budget in MiB.' })),
    disk_cache: S.optional(S.boolean({ description: 'Keep computed features under <home>/cache/features (default true).' })),
    threads: S.optional(S.integer({ minimum: 0, maximum: 64, description: 'Worker threads evaluating features: 0 = automatic (up to 4 for large requests, 1 for small ones), 1 = the calling thread only.' })),
  expressions: S.optional(S.enum(['default', 'qlib'], { description: "Expression semantics: `default` (docs/expressions.md) or `qlib` (Qlib's behaviour bit for bit where the default deliberately differs: Ref(x, 0), Delta(x, 0), EMA(x, 0), windows between 0 and 1, IdxMax/IdxMin over NaN, values that depend on where loading started)." })),
  }),
  deps: { home: TOKENS.home },
  dispose: (provider: QlibDataProvider) => provider.close(),
  tradingDays: (o) => readCalendarSync(path.resolve(o.uri), 'day'),
  describe: async (o) => ({ ...(await describeQlibFolder(o.uri)), ...(o.expressions ? { expressions: o.expressions } : {}) }),
  create: (o, ctx) => {
    const id = o.id ?? `qlib-${path.basename(path.resolve(o.uri))}`;
    return new QlibDataProvider({
      id,
      uri: path.resolve(o.uri),
      cacheMiB: o.cache_mib,
      cacheDir: o.disk_cache === false ? undefined : path.join(ctx.deps.home, 'cache', 'features', id),
      threads: o.threads,
      expressions: o.expressions,
      // A training thread of a batch writes only its share of the disk cache (the other threads write the rest).
      diskWriteShare: featureCacheShare(),
    });
  },
});

const processorSpec = S.union([S.string({ description: 'A processor class name.' }), S.component({ kind: 'processor' })], {
  description: 'A processor: a class name or `{class, kwargs}`.',
});

const handlerCommon = {
  instruments: S.union([S.string(), S.array(S.string())], { description: 'A market name (rows masked to membership spans) or a list of codes.' }),
  start_time: S.date({ description: 'First date of data the handler loads.' }),
  end_time: S.optional(S.nullable(S.date({ description: 'Last date loaded; null = up to the latest data.' }))),
  fit_start_time: S.optional(S.nullable(S.date({ description: 'First date of the processors\u2019 fit window.' }))),
  fit_end_time: S.optional(S.nullable(S.date({ description: 'Last date of the processors\u2019 fit window.' }))),
  infer_processors: S.optional(S.array(processorSpec, { description: 'Processors for every fetch (fitted on the fit window).' })),
  learn_processors: S.optional(S.array(processorSpec, { description: 'Processors for training data only.' })),
  process_type: S.optional(S.enum(['append', 'independent'], { description: "`append`: learn processors run after the infer ones (Qlib's default)." })),
};

const DEFAULT_LABEL = { LABEL0: 'Ref($close, -2)/Ref($close, -1) - 1' };

/** `label` in our form `{name: expression}` or Qlib's: a list of expressions (named LABEL0, LABEL1, ...) or `[expressions, names]`. */
const labelSchema = S.optional(
  S.union(
    [
      S.record(S.string(), { description: 'Label name -> expression.' }),
      S.array(S.string(), { description: "Qlib's form: expressions, named LABEL0, LABEL1, ..." }),
      S.tuple([S.array(S.string()), S.array(S.string())], { description: "Qlib's form: [expressions, names]." }),
    ],
    { description: 'Labels: `{name: expression}`, a list of expressions, or `[expressions, names]` (Qlib). Default `LABEL0: Ref($close, -2)/Ref($close, -1) - 1`.' },
  ),
);

/** A label option in any accepted form as `{name: expression}`. */
function labelRecord(label: Record<string, string> | string[] | [string[], string[]] | undefined): Record<string, string> | undefined {
  if (label === undefined || !Array.isArray(label)) return label;
  const pair = label.length === 2 && Array.isArray(label[0]) && Array.isArray(label[1]);
  const exprs = (pair ? label[0] : label) as string[];
  const names = pair ? (label[1] as string[]) : [];
  if (pair && exprs.length !== names.length) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `label: ${exprs.length} expressions but ${names.length} names`);
  }
  return Object.fromEntries(exprs.map((e, i) => [names[i] ?? `LABEL${i}`, e]));
}

async function buildProcessors(ctx: ComponentContext, specs: readonly (string | ComponentSpec)[] | undefined, fitStart?: string | null, fitEnd?: string | null): Promise<Processor[]> {
  const withWindow = withFitWindow(specs ?? [], fitStart, fitEnd);
  const out: Processor[] = [];
  for (const spec of withWindow) out.push(await ctx.resolve('processor', spec));
  return out;
}

const exprHandler = defineComponent({
  kind: 'handler',
  name: 'ExprHandler',
  aliases: ['DataHandlerLP'],
  description: 'Features and labels from named expressions, with infer/learn processors fitted on the fit window.',
  schema: S.object({
    ...handlerCommon,
    features: S.record(S.string(), { description: 'Feature name -> expression, in column order.' }),
    label: labelSchema,
  }),
  deps: { provider: TOKENS.dataProvider },
  // The task's scope is over: the frames' memory serves the next task's handler.
  dispose: (handler) => (handler as ExprHandler).release(),
  check: (o, ctx) => checkHandler({ ...o, label: labelRecord(o.label as never) }, ctx),
  async create(o, ctx): Promise<Handler> {
    const features = Object.entries(o.features);
    const label = Object.entries(labelRecord(o.label as never) ?? DEFAULT_LABEL);
    return new ExprHandler(ctx.deps.provider, {
      instruments: o.instruments,
      startTime: o.start_time,
      endTime: o.end_time ?? null,
      fitStartTime: o.fit_start_time ?? null,
      fitEndTime: o.fit_end_time ?? null,
      features: { names: features.map(([k]) => k), fields: features.map(([, v]) => v) },
      labels: { names: label.map(([k]) => k), fields: label.map(([, v]) => v) },
      inferProcessors: await buildProcessors(ctx, o.infer_processors as (string | ComponentSpec)[] | undefined, o.fit_start_time, o.fit_end_time),
      learnProcessors: await buildProcessors(ctx, o.learn_processors as (string | ComponentSpec)[] | undefined, o.fit_start_time, o.fit_end_time),
      processType: o.process_type,
    });
  },
});

/** Qlib's contrib handlers: fixed feature sets, Qlib's default label and processors. */
function alphaHandler(name: 'Alpha158' | 'Alpha360', features: () => FeatureSet, defaults: HandlerDefaults) {
  return defineComponent({
    kind: 'handler',
    name,
    description: `Qlib's ${name} feature set (exact names, order and expressions), default label LABEL0 and Qlib's default processors.`,
    schema: S.object({
      ...handlerCommon,
      instruments: S.optional(S.union([S.string(), S.array(S.string())], { description: `Market name or codes. Default \`${defaults.instruments}\`.` })),
      label: labelSchema,
    }),
    deps: { provider: TOKENS.dataProvider },
    dispose: (handler) => (handler as ExprHandler).release(),
    check: (o, ctx) => {
      const fs = features();
      return checkHandler({ ...o, label: labelRecord(o.label as never), features: Object.fromEntries(fs.names.map((n, i) => [n, fs.fields[i]!])) }, ctx);
    },
    async create(o, ctx): Promise<Handler> {
      const fs = features();
      const given = labelRecord(o.label as never);
      const label = given ? { names: Object.keys(given), fields: Object.values(given) } : { names: [...defaults.label.names], fields: [...defaults.label.fields] };
      const infer = (o.infer_processors ?? structuredClone(defaults.inferProcessors)) as (string | ComponentSpec)[];
      const learn = (o.learn_processors ?? structuredClone(defaults.learnProcessors)) as (string | ComponentSpec)[];
      return new ExprHandler(ctx.deps.provider, {
        instruments: o.instruments ?? defaults.instruments,
        startTime: o.start_time,
        endTime: o.end_time ?? null,
        fitStartTime: o.fit_start_time ?? null,
        fitEndTime: o.fit_end_time ?? null,
        features: { names: [...fs.names], fields: [...fs.fields] },
        labels: label,
        inferProcessors: await buildProcessors(ctx, infer, o.fit_start_time, o.fit_end_time),
        learnProcessors: await buildProcessors(ctx, learn, o.fit_start_time, o.fit_end_time),
        processType: o.process_type ?? defaults.processType,
      });
    },
  });
}

const alpha158 = alphaHandler('Alpha158', () => alpha158Fields(), ALPHA158_DEFAULTS);
const alpha360 = alphaHandler('Alpha360', () => alpha360Fields(), ALPHA360_DEFAULTS);

const datasetH = defineComponent({
  kind: 'dataset',
  name: 'DatasetH',
  description: 'A handler plus named date segments (train, valid, test).',
  schema: S.object({
    handler: S.component({ kind: 'handler', description: 'The data handler.' }),
    segments: S.record(S.tuple([S.date(), S.nullable(S.date())]), { description: 'Segment name -> [start, end]; end null = open.' }),
  }),
  check: (o, ctx) => {
    const h = (o.handler as { kwargs?: { start_time?: unknown; end_time?: unknown } }).kwargs;
    const handler = h ? { ...(typeof h.start_time === 'string' ? { start: h.start_time } : {}), ...(typeof h.end_time === 'string' || h.end_time === null ? { end: h.end_time as string | null } : {}) } : undefined;
    return checkSegments(o.segments as Record<string, [string, string | null]>, { calendar: ctx.data.calendar, ...(handler ? { handler } : {}) });
  },
  async create(o, ctx) {
    const handler = await ctx.resolve('handler', o.handler as ComponentSpec);
    const segments: Record<string, [string, string | null]> = {};
    for (const [k, v] of Object.entries(o.segments)) segments[k] = [v[0], v[1] ?? null];
    return new DatasetH(handler, segments);
  },
});

export const dataQlibPlugin = definePlugin({
  name: 'data-qlib',
  version: '0.1.0',
  description: "Qlib binary data, the synthetic market, expressions, handlers, processors and DatasetH.",
  components: [syntheticMarket, qlibData, exprHandler, alpha158, alpha360, datasetH, ...PROCESSOR_COMPONENTS],
  commands: DATA_COMMANDS,
});
