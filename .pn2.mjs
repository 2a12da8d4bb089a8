// plugins/data-qlib/src/alpha/handler-defaults.ts
function deepFreeze(value) {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
var DEFAULT_LABEL = deepFreeze({
  fields: ["Ref($close, -2)/Ref($close, -1) - 1"],
  names: ["LABEL0"]
});
var DEFAULT_LEARN_PROCESSORS = deepFreeze([
  { class: "DropnaLabel" },
  { class: "CSZScoreNorm", kwargs: { fields_group: "label" } }
]);
var DEFAULT_INFER_PROCESSORS = deepFreeze([
  { class: "ProcessInf", kwargs: {} },
  { class: "ZScoreNorm", kwargs: {} },
  { class: "Fillna", kwargs: {} }
]);

// plugins/data-qlib/src/alpha/alpha158.ts
var ALPHA158_CONFIG = deepFreeze({
  kbar: {},
  price: { windows: [0], feature: ["OPEN", "HIGH", "LOW", "VWAP"] },
  rolling: {}
});
var KBAR = [
  ["KMID", "($close-$open)/$open"],
  ["KLEN", "($high-$low)/$open"],
  ["KMID2", "($close-$open)/($high-$low+1e-12)"],
  ["KUP", "($high-Greater($open, $close))/$open"],
  ["KUP2", "($high-Greater($open, $close))/($high-$low+1e-12)"],
  ["KLOW", "(Less($open, $close)-$low)/$open"],
  ["KLOW2", "(Less($open, $close)-$low)/($high-$low+1e-12)"],
  ["KSFT", "(2*$close-$high-$low)/$open"],
  ["KSFT2", "(2*$close-$high-$low)/($high-$low+1e-12)"]
];
var ROLLING = [
  ["ROC", "ROC", (d) => `Ref($close, ${d})/$close`],
  ["MA", "MA", (d) => `Mean($close, ${d})/$close`],
  ["STD", "STD", (d) => `Std($close, ${d})/$close`],
  ["BETA", "BETA", (d) => `Slope($close, ${d})/$close`],
  ["RSQR", "RSQR", (d) => `Rsquare($close, ${d})`],
  ["RESI", "RESI", (d) => `Resi($close, ${d})/$close`],
  ["MAX", "MAX", (d) => `Max($high, ${d})/$close`],
  ["LOW", "MIN", (d) => `Min($low, ${d})/$close`],
  ["QTLU", "QTLU", (d) => `Quantile($close, ${d}, 0.8)/$close`],
  ["QTLD", "QTLD", (d) => `Quantile($close, ${d}, 0.2)/$close`],
  ["RANK", "RANK", (d) => `Rank($close, ${d})`],
  ["RSV", "RSV", (d) => `($close-Min($low, ${d}))/(Max($high, ${d})-Min($low, ${d})+1e-12)`],
  ["IMAX", "IMAX", (d) => `IdxMax($high, ${d})/${d}`],
  ["IMIN", "IMIN", (d) => `IdxMin($low, ${d})/${d}`],
  ["IMXD", "IMXD", (d) => `(IdxMax($high, ${d})-IdxMin($low, ${d}))/${d}`],
  ["CORR", "CORR", (d) => `Corr($close, Log($volume+1), ${d})`],
  ["CORD", "CORD", (d) => `Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), ${d})`],
  ["CNTP", "CNTP", (d) => `Mean($close>Ref($close, 1), ${d})`],
  ["CNTN", "CNTN", (d) => `Mean($close<Ref($close, 1), ${d})`],
  ["CNTD", "CNTD", (d) => `Mean($close>Ref($close, 1), ${d})-Mean($close<Ref($close, 1), ${d})`],
  ["SUMP", "SUMP", (d) => `Sum(Greater($close-Ref($close, 1), 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`],
  ["SUMN", "SUMN", (d) => `Sum(Greater(Ref($close, 1)-$close, 0), ${d})/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`],
  [
    "SUMD",
    "SUMD",
    (d) => `(Sum(Greater($close-Ref($close, 1), 0), ${d})-Sum(Greater(Ref($close, 1)-$close, 0), ${d}))/(Sum(Abs($close-Ref($close, 1)), ${d})+1e-12)`
  ],
  ["VMA", "VMA", (d) => `Mean($volume, ${d})/($volume+1e-12)`],
  ["VSTD", "VSTD", (d) => `Std($volume, ${d})/($volume+1e-12)`],
  ["WVMA", "WVMA", (d) => `Std(Abs($close/Ref($close, 1)-1)*$volume, ${d})/(Mean(Abs($close/Ref($close, 1)-1)*$volume, ${d})+1e-12)`],
  ["VSUMP", "VSUMP", (d) => `Sum(Greater($volume-Ref($volume, 1), 0), ${d})/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`],
  ["VSUMN", "VSUMN", (d) => `Sum(Greater(Ref($volume, 1)-$volume, 0), ${d})/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`],
  [
    "VSUMD",
    "VSUMD",
    (d) => `(Sum(Greater($volume-Ref($volume, 1), 0), ${d})-Sum(Greater(Ref($volume, 1)-$volume, 0), ${d}))/(Sum(Abs($volume-Ref($volume, 1)), ${d})+1e-12)`
  ]
];
var ALPHA158_ROLLING_KEYS = ROLLING.map(([key]) => key);
var int = (d) => Math.trunc(d);
var range5 = [0, 1, 2, 3, 4];
function alpha158Fields(config = ALPHA158_CONFIG) {
  const fields2 = [];
  const names = [];
  if (config.kbar) {
    for (const [name, expr] of KBAR) {
      names.push(name);
      fields2.push(expr);
    }
  }
  if (config.price) {
    const windows = (config.price.windows ?? range5).map(int);
    const features = config.price.feature ?? ["OPEN", "HIGH", "LOW", "CLOSE", "VWAP"];
    for (const feature of features) {
      const field = feature.toLowerCase();
      for (const d of windows) {
        fields2.push(d !== 0 ? `Ref($${field}, ${d})/$close` : `$${field}/$close`);
        names.push(`${field.toUpperCase()}${d}`);
      }
    }
  }
  if (config.volume) {
    for (const d of (config.volume.windows ?? range5).map(int)) {
      fields2.push(d !== 0 ? `Ref($volume, ${d})/($volume+1e-12)` : "$volume/($volume+1e-12)");
      names.push(`VOLUME${d}`);
    }
  }
  if (config.rolling) {
    const windows = (config.rolling.windows ?? [5, 10, 20, 30, 60]).map(int);
    const include = config.rolling.include ?? null;
    const exclude = config.rolling.exclude ?? [];
    for (const [key, prefix, expr] of ROLLING) {
      if (exclude.includes(key) || include !== null && !include.includes(key)) continue;
      for (const d of windows) {
        fields2.push(expr(d));
        names.push(`${prefix}${d}`);
      }
    }
  }
  return { fields: fields2, names };
}
var ALPHA158_DEFAULTS = deepFreeze({
  instruments: "csi500",
  freq: "day",
  processType: "append",
  label: DEFAULT_LABEL,
  inferProcessors: [],
  learnProcessors: DEFAULT_LEARN_PROCESSORS
});

// plugins/data-qlib/src/alpha/alpha360.ts
var ALPHA360_DEFAULTS = deepFreeze({
  instruments: "csi500",
  freq: "day",
  processType: "append",
  label: DEFAULT_LABEL,
  inferProcessors: DEFAULT_INFER_PROCESSORS,
  learnProcessors: DEFAULT_LEARN_PROCESSORS
});

// core/index.ts
import "reflect-metadata";

// core/contracts/token.ts
function createToken(name) {
  return Object.freeze({ key: /* @__PURE__ */ Symbol.for(`qonline.${name}`), name });
}

// core/contracts/tokens.ts
var TOKENS = {
  logger: createToken("logger"),
  progress: createToken("progress"),
  clock: createToken("clock"),
  /** Absolute path of the qonline home (`.qonline/` by default). */
  home: createToken("home"),
  store: createToken("store"),
  dataProvider: createToken("dataProvider"),
  calendar: createToken("calendar"),
  /** Builds nested components and restores models (the kernel). */
  resolver: createToken("resolver"),
  /** Releases the store-level lock of the manager a step is running (held for the step). */
  managerLock: createToken("managerLock"),
  /** Task pools in the store's database (provided when the store can hold them). */
  taskPool: createToken("taskPool"),
  /**
   * Starts an executor that trains pool tasks on threads of their own (the
   * CLI provides it when it runs from its built script): a manager training
   * locally then keeps renewing its leases however long a fit blocks.
   */
  taskThreads: createToken("taskThreads"),
  /** Metrics of long-running processes (`--metrics-port` of daemon and worker); the built-in metrics plugin provides it. */
  metrics: createToken("metrics")
};

// core/errors/codes.ts
var ERROR_CODES = {
  QONLINE_USAGE: { exit: 2, summary: "The command line is wrong (unknown command, flag or missing argument)." },
  QONLINE_CONFIG_PARSE: { exit: 2, summary: "The YAML file cannot be parsed." },
  QONLINE_CONFIG_INVALID: { exit: 2, summary: "The config does not match the pipeline schema or a component schema." },
  QONLINE_CONFIG_ENV: { exit: 2, summary: "A ${VAR} reference names an environment variable that is not set." },
  QONLINE_UNKNOWN_CLASS: { exit: 2, summary: "A `class:` names no registered component of that kind." },
  QONLINE_PLUGIN_INVALID: { exit: 2, summary: "A plugin manifest is malformed, duplicated or needs another plugin-API version." },
  QONLINE_PLUGIN_LOAD: { exit: 2, summary: "A plugin listed under `plugins:` cannot be found or imported." },
  QONLINE_PLUGIN_UNTRUSTED: {
    exit: 2,
    summary: "A plugin outside the config's folder tree and not an installed package was refused (nothing imported); trust it with --trust-plugin PATH or QONLINE_TRUSTED_PLUGINS."
  },
  QONLINE_DEPENDENCY_MISSING: { exit: 2, summary: "A component depends on a service that no plugin provides." },
  QONLINE_STRATEGY_CHANGED: { exit: 2, summary: "A strategy's task template differs from the one stored under its name." },
  QONLINE_EXPRESSION_SYNTAX: { exit: 2, summary: "A feature expression cannot be parsed." },
  QONLINE_TRADE_REFUSED: { exit: 2, summary: "A trading step was refused: out of order (execute before generate), not the next trading date of the account, a non-trading date, no scores for the date, or an unknown or conflicting user." },
  QONLINE_INPUT_INVALID: { exit: 2, summary: "An input file given on the command line (e.g. a CSV to import) holds a malformed value; the message names file and line." },
  QONLINE_DATA_INVALID: { exit: 1, summary: "Market data is missing or malformed (calendar, instruments, feature files, CSV)." },
  QONLINE_DATE_OUT_OF_RANGE: { exit: 1, summary: "A date lies outside the trading calendar." },
  QONLINE_MODEL_INPUT: { exit: 1, summary: "A model was given inconsistent or invalid arrays or parameters." },
  QONLINE_MODEL_FILE: { exit: 2, summary: "A model file to import (XGBoost JSON, LightGBM text) is malformed, uses an unsupported feature, or does not match the strategy it is imported into." },
  QONLINE_STORE: { exit: 1, summary: "The store failed (database error, migration, constraint)." },
  QONLINE_STORE_LOCKED: { exit: 1, summary: "Another process holds the lock on this home or manager." },
  QONLINE_STATE_CONFLICT: { exit: 1, summary: "The manager's state changed while a step ran (another routine, rollback or `online set` committed first); the step's commit was rolled back." },
  QONLINE_SERVE_LISTEN: { exit: 1, summary: "`qonline serve`, or the `--metrics-port` endpoint of `qonline daemon` or `qonline worker`, cannot listen on its address (the port is in use, or no permission)." },
  QONLINE_NOT_FOUND: { exit: 1, summary: "A recorder, manager, strategy or task that was asked for does not exist." },
  QONLINE_TASK_FAILED: { exit: 1, summary: "A training task failed." },
  QONLINE_LEASE_LOST: { exit: 1, summary: "A worker lost the lease of the task it was running; its result was discarded." },
  QONLINE_COMPONENT_FAILED: { exit: 1, summary: "A plugin component threw; the message names plugin, component and phase." },
  QONLINE_INTERNAL: { exit: 1, summary: "An unexpected internal error." }
};

// core/errors/qonline-error.ts
var QonlineError = class extends Error {
  code;
  location;
  details;
  hint;
  plugin;
  component;
  phase;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "QonlineError";
    this.code = code;
    this.location = options.location;
    this.details = options.details ?? [];
    this.hint = options.hint;
    this.plugin = options.plugin;
    this.component = options.component;
    this.phase = options.phase;
  }
  get exitCode() {
    return ERROR_CODES[this.code].exit;
  }
};

// core/schema/builder.ts
function make(schema) {
  return schema;
}
var S = {
  string(opts = {}) {
    return make({ type: "string", ...opts });
  },
  /** A calendar date `YYYY-MM-DD` (a quoted or unquoted YAML date). */
  date(opts = {}) {
    return make({ type: "string", pattern: "^(?!0000)\\d{4}-\\d{2}-\\d{2}$", format: "date", ...opts });
  },
  number(opts = {}) {
    return make({ type: "number", ...opts });
  },
  integer(opts = {}) {
    return make({ type: "integer", ...opts });
  },
  boolean(opts = {}) {
    return make({ type: "boolean", ...opts });
  },
  null(opts = {}) {
    return make({ type: "null", ...opts });
  },
  literal(value, opts = {}) {
    return make({ const: value, ...opts });
  },
  enum(values, opts = {}) {
    return make({ enum: [...values], ...opts });
  },
  array(items, opts = {}) {
    return make({ type: "array", items, ...opts });
  },
  tuple(items, opts = {}) {
    return make({ type: "array", prefixItems: [...items], items: false, minItems: items.length, maxItems: items.length, ...opts });
  },
  object(properties, opts = {}) {
    const required = Object.entries(properties).filter(([, s]) => !s["__optional"]).map(([k]) => k);
    const props = {};
    for (const [k, s] of Object.entries(properties)) {
      const { __optional, ...rest } = s;
      void __optional;
      props[k] = rest;
    }
    return make({ type: "object", properties: props, ...required.length ? { required } : {}, additionalProperties: false, ...opts });
  },
  record(values, opts = {}) {
    return make({ type: "object", additionalProperties: values, ...opts });
  },
  union(members, opts = {}) {
    return make({ anyOf: [...members], ...opts });
  },
  nullable(inner, opts = {}) {
    const description = opts.description ?? inner["description"];
    return make({ anyOf: [inner, { type: "null" }], ...description ? { description } : {}, ...opts });
  },
  /** Anything (validated by the component itself or a nested component schema). */
  any(opts = {}) {
    return make({ ...opts });
  },
  /** A nested component spec `{class, kwargs?, module_path?}`, resolved with ctx.resolve(). */
  component(opts = {}) {
    const { kind, ...rest } = opts;
    return make({
      type: "object",
      properties: {
        class: { type: "string", description: "Registered component name or alias." },
        module_path: { type: "string", description: "Optional plugin name (or a Qlib module path, ignored)." },
        kwargs: { type: "object", description: "Options of the component." }
      },
      required: ["class"],
      additionalProperties: false,
      ...kind ? { "x-qonline-kind": kind } : {},
      ...rest
    });
  },
  optional(inner) {
    return { ...inner, __optional: true };
  }
};

// core/calendar/calendar.ts
var DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
var DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isIsoDate(s) {
  if (typeof s !== "string") return false;
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && y % 100 !== 0 || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]);
}
var Calendar = class {
  freq;
  dates;
  constructor(dates, freq = "day") {
    for (let i = 0; i < dates.length; i++) {
      if (!isIsoDate(dates[i])) {
        throw new QonlineError("QONLINE_DATA_INVALID", `calendar ${freq}: entry ${i + 1} (${JSON.stringify(dates[i])}) is not a YYYY-MM-DD date`);
      }
      if (i > 0 && dates[i] <= dates[i - 1]) {
        throw new QonlineError("QONLINE_DATA_INVALID", `calendar ${freq}: dates not strictly increasing at entry ${i + 1} (${dates[i]} after ${dates[i - 1]})`);
      }
    }
    this.dates = Object.freeze([...dates]);
    this.freq = freq;
  }
  get length() {
    return this.dates.length;
  }
  get first() {
    return this.dates[0];
  }
  get last() {
    return this.dates[this.dates.length - 1];
  }
  /** The date at index `i`; throws when out of range. */
  date(i) {
    const d = this.dates[i];
    if (d === void 0) {
      throw new QonlineError("QONLINE_DATE_OUT_OF_RANGE", `calendar index ${i} is outside 0..${this.dates.length - 1}`);
    }
    return d;
  }
  /** Index of `date`, or -1 when it is not a trading date. */
  indexOf(date) {
    const i = this.lowerBound(date);
    return i < this.dates.length && this.dates[i] === date ? i : -1;
  }
  /** First index whose date is >= `date` (may be `length`). */
  lowerBound(date) {
    let lo = 0;
    let hi = this.dates.length;
    while (lo < hi) {
      const mid = lo + hi >>> 1;
      if (this.dates[mid] < date) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Last index whose date is <= `date` (may be -1). */
  upperBound(date) {
    let lo = 0;
    let hi = this.dates.length;
    while (lo < hi) {
      const mid = lo + hi >>> 1;
      if (this.dates[mid] <= date) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
  /** Index of the first trading date on or after `date`; error if after the last date. */
  alignStartIndex(date) {
    const i = this.lowerBound(date);
    if (i >= this.dates.length) {
      throw new QonlineError("QONLINE_DATE_OUT_OF_RANGE", `${date} is after the calendar's last date ${this.last}`);
    }
    return i;
  }
  /** Index of the last trading date on or before `date`; error if before the first date. */
  alignEndIndex(date) {
    const i = this.upperBound(date);
    if (i < 0) {
      throw new QonlineError("QONLINE_DATE_OUT_OF_RANGE", `${date} is before the calendar's first date ${this.first}`);
    }
    return i;
  }
  /** Dates in [start, end] inclusive (end null = to the last date). */
  range(start, end) {
    const a = this.lowerBound(start);
    const b = end === null ? this.dates.length - 1 : this.upperBound(end);
    return b < a ? [] : this.dates.slice(a, b + 1);
  }
};

// core/kernel/clock.ts
var SystemClock = class {
  now() {
    return /* @__PURE__ */ new Date();
  }
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }
};

// core/store/sql-task-pool.ts
var SYSTEM_CLOCK = new SystemClock();

// core/store/sql-experiment-store.ts
var SYSTEM_CLOCK2 = new SystemClock();

// core/online/pool-training.ts
var SYSTEM_CLOCK3 = new SystemClock();

// core/kernel/did-you-mean.ts
function editDistance(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, d[i - 2][j - 2] + 1);
      d[i][j] = best;
    }
  }
  return d[x.length][y.length];
}
function closestMatches(name, candidates, max = 3) {
  const limit = Math.max(2, Math.floor(name.length / 2));
  return candidates.map((c) => ({ c, d: c.toLowerCase().includes(name.toLowerCase()) && name.length >= 3 ? 1 : editDistance(name, c) })).filter((x) => x.d <= limit).sort((x, y) => x.d - y.d || x.c.localeCompare(y.c)).slice(0, max).map((x) => x.c);
}

// core/kernel/kernel.ts
import { container as globalContainer } from "tsyringe";

// core/config/pipeline-schema.ts
var stepSchema = S.union(
  [
    S.string({ pattern: "^[A-Za-z_][A-Za-z0-9_.-]*$", description: "A step by name, with default options, e.g. `routine` (see the step components)." }),
    S.component({ kind: "step", description: "A step as a component, e.g. `{class: routine, kwargs: {cur_time: 2020-06-30}}`." }),
    S.record(S.nullable(S.record(S.any(), { description: "The step's options." })), {
      description: "Shorthand: a step name with its options, e.g. `{routine: {cur_time: 2020-06-30}}`.",
      minProperties: 1,
      maxProperties: 1,
      propertyNames: { not: { enum: ["class", "kwargs", "module_path"] } }
    })
  ],
  { description: "One pipeline step: a name, `{class, kwargs}`, or `{name: {options}}`." }
);
var pipelineSchema = S.object(
  {
    $schema: S.optional(S.string({ description: "Editor hint: the JSON Schema of this file." })),
    version: S.optional(S.literal(1, { description: "Config format version." })),
    plugins: S.optional(
      S.array(S.string({ description: "A package name or a path relative to this file." }), {
        description: "Extra plugins (JavaScript modules exporting a plugin manifest) to load."
      })
    ),
    home: S.optional(S.string({ description: "Home folder (data, store, cache, reports); overridden by --home / QONLINE_HOME. Default `.qonline`." })),
    data: S.optional(S.component({ kind: "dataProvider", description: "Market data provider. Default: the embedded seeded synthetic market." })),
    store: S.optional(S.component({ kind: "store", description: "Experiment store. Default: SQLite in the home folder." })),
    manager: S.object(
      {
        name: S.string({ description: "Manager name: the key of its state, history and signals in the store.", pattern: "^[A-Za-z0-9_.-]+$" }),
        begin_time: S.optional(S.nullable(S.date({ description: "Date of the first training; default: the latest calendar date." }))),
        freq: S.optional(S.enum(["day"], { description: "Data frequency." })),
        trainer: S.optional(S.component({ kind: "trainer", description: "How tasks become recorders. Default: TrainerR." })),
        ensemble: S.optional(S.component({ kind: "ensemble", description: "How online models merge into signals. Default: AverageEnsemble." })),
        update_online_pred: S.optional(S.boolean({ description: "Extend online predictions in each routine (default true; simulations never do)." }))
      },
      { description: "The online manager." }
    ),
    strategies: S.array(S.component({ kind: "strategy" }), { description: "Online strategies, each owning an experiment.", minItems: 1 }),
    steps: S.optional(S.array(stepSchema, { description: "Steps `qonline run` performs, in order. Default: [first_train, routine]." })),
    daemon: S.optional(
      S.object(
        {
          schedule: S.string({ description: "Cron expression (node-cron syntax) of routine runs, e.g. `0 18 * * 1-5`." }),
          timezone: S.optional(S.string({ description: "The exchange's IANA timezone, e.g. Asia/Shanghai." })),
          catch_up: S.optional(S.boolean({ description: "Run missed routines after downtime (default true)." })),
          trade: S.optional(S.boolean({ description: "After each routine, run the users' trading days up to the latest date (`qonline trade run`, users plugin). Default false." }))
        },
        { description: "Schedule for `qonline daemon`." }
      )
    )
  },
  {
    description: "A qonline pipeline. Top-level keys starting with `x-` are ignored (the Compose convention), so YAML anchors can live there.",
    patternProperties: { "^x-": {} }
  }
);

// core/config/load.ts
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
var MAX_CONFIG_BYTES = 2 * 1024 * 1024;

// core/kernel/validator.ts
import { createRequire } from "node:module";
var require2 = createRequire(import.meta.url);

// core/kernel/kernel.ts
var EMPTY = Object.freeze({});

// core/kernel/logger.ts
import { pino } from "pino";

// core/engine/machine.ts
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
function machineLoad() {
  let runnable = null;
  try {
    const m = /^\S+\s+\S+\s+\S+\s+(\d+)\//.exec(readFileSync("/proc/loadavg", "utf8"));
    if (m) runnable = Number(m[1]);
  } catch {
    runnable = null;
  }
  return { cores: Math.max(1, availableParallelism()), load1: loadavg()[0] ?? 0, runnable };
}
function idleCores(load = machineLoad()) {
  const byAverage = Math.floor(load.cores - load.load1 + 0.5);
  const byNow = load.runnable === null ? load.cores : load.cores - Math.max(0, load.runnable - 1);
  return Math.max(0, Math.min(load.cores, byAverage, byNow));
}
function autoThreads(work, minWorkPerThread, max, load = machineLoad()) {
  const byWork = Math.floor(work / minWorkPerThread);
  return Math.max(1, Math.min(max, load.cores, idleCores(load), byWork));
}

// plugins/data-qlib/src/expr/ast.ts
function fieldNode(name) {
  return { type: "field", name };
}
function numberNode(value) {
  return { type: "number", value };
}
function callNode(op, args) {
  const folded = foldConstants(op, args);
  return folded ?? { type: "call", op, args };
}
function foldConstants(op, args) {
  if (op === "Neg" && args.length === 1 && args[0].type === "number") return numberNode(-args[0].value);
  if (args.length !== 2 || args[0].type !== "number" || args[1].type !== "number") return void 0;
  const a = args[0].value;
  const b = args[1].value;
  let v;
  switch (op) {
    case "Add":
      v = a + b;
      break;
    case "Sub":
      v = a - b;
      break;
    case "Mul":
      v = a * b;
      break;
    case "Div":
      v = a / b;
      break;
    default:
      return void 0;
  }
  return Number.isFinite(v) ? numberNode(v) : void 0;
}
function fieldsOf(node) {
  const names = /* @__PURE__ */ new Set();
  const visit = (n) => {
    if (n.type === "field") names.add(n.name);
    else if (n.type === "call") n.args.forEach(visit);
  };
  visit(node);
  return [...names].sort();
}

// plugins/data-qlib/src/expr/operators.ts
var QLIB_EWM_WINDOW_OPERATORS = /* @__PURE__ */ new Set(["Mean", "Sum", "Std", "Var", "Max", "Min", "Med", "Count"]);
var X = { name: "x", kind: "series" };
var Y = { name: "y", kind: "series" };
var N = { name: "N", kind: "window" };
function elementwise(name, params, doc, symbol) {
  return { name, params, extent: "elementwise", doc, ...symbol ? { symbol } : {} };
}
function rolling(name, doc, params = [X, N]) {
  return { name, params, extent: "rolling", doc };
}
var SPECS = [
  elementwise("Add", [X, Y], "x + y (float32).", "+"),
  elementwise("Sub", [X, Y], "x - y (float32).", "-"),
  elementwise("Mul", [X, Y], "x * y (float32).", "*"),
  elementwise("Div", [X, Y], "x / y (float32); division by zero gives +-Infinity, 0/0 NaN.", "/"),
  elementwise("Neg", [X], "-x (unary minus; Qlib cannot parse it, qonline can).", "-"),
  elementwise("Gt", [X, Y], "1 if x > y else 0; any NaN gives 0.", ">"),
  elementwise("Ge", [X, Y], "1 if x >= y else 0; any NaN gives 0.", ">="),
  elementwise("Lt", [X, Y], "1 if x < y else 0; any NaN gives 0.", "<"),
  elementwise("Le", [X, Y], "1 if x <= y else 0; any NaN gives 0.", "<="),
  elementwise("Eq", [X, Y], "1 if x == y else 0; any NaN gives 0.", "=="),
  elementwise("Ne", [X, Y], "1 if x != y else 0; any NaN gives 1.", "!="),
  elementwise("And", [X, Y], "1 if both are true else 0 (true = nonzero; NaN counts as true, as in numpy).", "&"),
  elementwise("Or", [X, Y], "1 if either is true else 0 (true = nonzero; NaN counts as true).", "|"),
  elementwise("Not", [X], "1 if x is false (0) else 0; NaN counts as true, so Not(NaN) = 0."),
  elementwise("Abs", [X], "Absolute value |x|."),
  elementwise("Sign", [X], "-1, 0 or 1; NaN stays NaN."),
  elementwise("Log", [X], "Natural log: Log(0) = -Infinity, negative gives NaN."),
  elementwise("Power", [X, Y], "x ** y as numpy computes it (Power(1, NaN) = 1, Power(NaN, 0) = 1)."),
  elementwise("Greater", [X, Y], "The larger of x and y, row by row; NaN if either is NaN (numpy maximum)."),
  elementwise("Less", [X, Y], "The smaller of x and y, row by row; NaN if either is NaN (numpy minimum)."),
  elementwise(
    "If",
    [{ name: "cond", kind: "series" }, X, Y],
    "x where cond is true (nonzero, NaN counts as true as in numpy.where), else y."
  ),
  {
    name: "Ref",
    params: [X, { name: "N", kind: "shift" }],
    extent: "shift",
    doc: "The value N rows earlier (N < 0: |N| rows later); NaN where that row does not exist. Ref(x, 0) = x."
  },
  {
    name: "Delta",
    params: [X, { name: "N", kind: "shift" }],
    extent: "shift",
    doc: "x - Ref(x, N). Delta(x, 0) = x minus the first non-NaN value of x."
  },
  rolling("Mean", "Mean of the non-NaN values in the window."),
  rolling("Sum", "Sum of the non-NaN values in the window; NaN when there are none."),
  rolling("Std", "Sample standard deviation (ddof 1); NaN with fewer than 2 values, 0 when all are equal."),
  rolling("Var", "Sample variance (ddof 1); NaN with fewer than 2 values, 0 when all are equal."),
  rolling(
    "Skew",
    "Bias-corrected skewness (pandas): NaN with fewer than 3 values or a variance <= 1e-14, 0 when all are equal.",
    [X, { name: "N", kind: "window3" }]
  ),
  rolling(
    "Kurt",
    "Bias-corrected excess kurtosis (pandas): NaN with fewer than 4 values or a variance <= 1e-14, -3 when all are equal.",
    [X, { name: "N", kind: "window4" }]
  ),
  rolling("Max", "Largest non-NaN value in the window."),
  rolling("Min", "Smallest non-NaN value in the window."),
  rolling("IdxMax", "1-based row position (from the oldest row of the window) of the largest non-NaN value; ties to the oldest."),
  rolling("IdxMin", "1-based row position (from the oldest row of the window) of the smallest non-NaN value; ties to the oldest."),
  rolling("Quantile", "Quantile q of the non-NaN values, linear interpolation between order statistics.", [
    X,
    N,
    { name: "q", kind: "level" }
  ]),
  rolling("Med", "Median of the non-NaN values (mean of the two middle ones for an even count)."),
  rolling("Mad", "Mean absolute deviation of the non-NaN values around their mean."),
  rolling("Rank", "Percentile of the current value among the window's non-NaN values (average rank / count); NaN if the current value is NaN."),
  rolling("Count", "Number of non-NaN values in the window (0 when there are none)."),
  rolling("Slope", "OLS slope of the values against x = 1..N (newest at N); NaN rows skipped keeping their x; NaN with fewer than 2 values."),
  rolling("Rsquare", "R^2 of that OLS fit; NaN when the window standard deviation is within 2e-5 of zero."),
  rolling("Resi", "Residual of the current value from that OLS fit; NaN if the current value is NaN."),
  rolling("WMA", "Qlib's weighted mean: sum of w_i * x_i (w = 1..L / sum, newest heaviest) divided by the count of non-NaN values."),
  {
    name: "EMA",
    params: [X, { name: "N", kind: "span" }],
    extent: "ema",
    doc: "Adjusted exponential mean (pandas ewm, adjust=True): alpha = 2/(N+1) for N >= 1, alpha = N for 0 < N < 1; NaN rows carry the previous value."
  },
  rolling("Corr", "Pearson correlation over rows where both are non-NaN; NaN when either side's window standard deviation is within 2e-5 of zero.", [X, Y, N]),
  rolling("Cov", "Sample covariance (ddof 1) over rows where both are non-NaN; NaN with fewer than 2 such rows.", [X, Y, N])
];
var BY_NAME = new Map(SPECS.map((s) => [s.name, s]));
var UNSUPPORTED_QLIB_OPERATORS = [
  "Mask",
  "ChangeInstrument",
  "TResample",
  "Rolling",
  "Feature",
  "PFeature",
  "P",
  "PRef"
];
function operatorSpec(name) {
  return BY_NAME.get(name);
}
function operatorSignature(spec) {
  return `${spec.name}(${spec.params.map((p) => p.name).join(", ")})`;
}
function suggestOperators(name) {
  return closestMatches(
    name,
    SPECS.map((s) => s.name)
  );
}
var OPERATORS = SPECS.map((s) => ({
  name: s.name,
  arity: `(${s.params.map((p) => p.name).join(", ")})`,
  doc: s.symbol ? `${s.doc} Infix: \`${s.symbol}\`.` : s.doc
}));
var MAX_WINDOW_ROWS = 1e5;
function checkParam(spec, kind, value, mode = "default") {
  const name = spec.name;
  if (!Number.isFinite(value)) return `${name} needs a finite number here, found ${value}`;
  if (kind !== "level" && kind !== "series" && Math.abs(value) > MAX_WINDOW_ROWS) {
    return `${name}: ${value} rows is beyond any calendar (the limit is ${MAX_WINDOW_ROWS} rows, about 400 years of daily data)`;
  }
  if (mode === "qlib") {
    if (kind === "window" && value > 0 && value < 1) {
      if (QLIB_EWM_WINDOW_OPERATORS.has(name)) return void 0;
      return `the window of ${name} must be a whole number of rows (or 0), found ${value}; with expressions: qlib a window between 0 and 1 is an exponential mean only for ${[...QLIB_EWM_WINDOW_OPERATORS].join(", ")} (Qlib itself fails on ${name})`;
    }
    if (kind === "span" && value === 0) return void 0;
    if ((name === "Corr" || name === "Cov") && kind === "window" && value === 0) {
      return `${name}(x, y, 0) is not available with expressions: qlib (Qlib itself fails on a pair-wise expanding window)`;
    }
  }
  switch (kind) {
    case "series":
      return void 0;
    case "shift":
      return Number.isInteger(value) ? void 0 : `${name} shifts by whole rows; found ${value}`;
    case "window":
    case "window3":
    case "window4": {
      if (value > 0 && value < 1) {
        return `the window of ${name} must be a whole number of rows (or 0 for expanding), found ${value}; Qlib silently turns a window between 0 and 1 into an exponential mean: write EMA(x, ${value}) for that`;
      }
      if (!Number.isInteger(value) || value < 0) {
        return `the window of ${name} must be a whole number of rows >= 1, or 0 for expanding; found ${value}`;
      }
      const least = kind === "window3" ? 3 : kind === "window4" ? 4 : 1;
      if (value !== 0 && value < least) {
        return `the window of ${name} must be at least ${least} rows (or 0 for expanding); found ${value}`;
      }
      return void 0;
    }
    case "span":
      if (value >= 1 || value > 0 && value < 1) return void 0;
      return `EMA needs a span N >= 1 (alpha 2/(N+1)) or an alpha between 0 and 1, found ${value}` + (value === 0 ? " (Qlib's EMA(x, 0) reweights the whole history with a length-dependent alpha; qonline does not offer it)" : "");
    case "level":
      return value >= 0 && value <= 1 ? void 0 : `the quantile level of ${name} must be between 0 and 1, found ${value}`;
  }
}

// plugins/data-qlib/src/expr/syntax-error.ts
function syntaxError(src, column, message, hint) {
  let shown = src.replace(/[\r\n\t]/g, " ");
  let caret = column - 1;
  if (shown.length > SHOWN_MAX) {
    const from = Math.max(0, Math.min(caret - SHOWN_MAX / 2, shown.length - SHOWN_MAX));
    shown = (from > 0 ? "..." : "") + shown.slice(from, from + SHOWN_MAX) + (from + SHOWN_MAX < shown.length ? "..." : "");
    caret = caret - from + (from > 0 ? 3 : 0);
  }
  return new QonlineError("QONLINE_EXPRESSION_SYNTAX", `${message} at column ${column} of expression "${shown}"`, {
    location: { column },
    details: [shown, " ".repeat(Math.max(0, caret)) + "^"],
    hint
  });
}
var SHOWN_MAX = 80;
function nodeError(message, hint) {
  return new QonlineError("QONLINE_EXPRESSION_SYNTAX", message, { hint });
}

// plugins/data-qlib/src/expr/tokenizer.ts
var OPERATOR_SYMBOLS = [">=", "<=", "==", "!=", "+", "-", "*", "/", ">", "<", "&", "|"];
var NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
var WORD = /^\w+/;
function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === " " || ch === "	" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    const column = i + 1;
    const rest = src.slice(i);
    if (ch === "$") {
      if (rest.startsWith("$$")) {
        throw syntaxError(src, column, "point-in-time fields ('$$name') are not supported");
      }
      const word2 = WORD.exec(rest.slice(1));
      if (!word2) throw syntaxError(src, column, "expected a field name after '$' (letters, digits or _)");
      tokens.push({ kind: "field", text: word2[0], value: NaN, column });
      i += 1 + word2[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      const after = rest[num[0].length];
      if (after !== void 0 && /[\w.]/.test(after)) {
        throw syntaxError(src, column + num[0].length, `unexpected '${after}' after the number ${num[0]}`);
      }
      const value = Number(num[0]);
      if (!Number.isFinite(value)) throw syntaxError(src, column, `the number ${num[0]} is out of range`);
      tokens.push({ kind: "number", text: num[0], value, column });
      i += num[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ kind: "name", text: word[0], value: NaN, column });
      i += word[0].length;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ kind: ch, text: ch, value: NaN, column });
      i++;
      continue;
    }
    if (rest.startsWith("**")) throw syntaxError(src, column, "'**' is not supported", "use Power(x, y)");
    const symbol = OPERATOR_SYMBOLS.find((s) => rest.startsWith(s));
    if (symbol) {
      tokens.push({ kind: "op", text: symbol, value: NaN, column });
      i += symbol.length;
      continue;
    }
    const hint = ch === "=" ? "did you mean '=='?" : ch === "!" ? "use '!=' for 'not equal' or Not(x) for negation" : ch === "^" ? "use Power(x, y) for powers" : void 0;
    throw syntaxError(src, column, `unexpected character '${ch}'`, hint);
  }
  tokens.push({ kind: "end", text: "", value: NaN, column: src.length + 1 });
  return tokens;
}

// plugins/data-qlib/src/expr/parser.ts
function parseExpressionWith(src, options) {
  if (typeof src !== "string") {
    throw syntaxError(String(src), 1, `an expression must be a string, found ${typeof src}`);
  }
  return new Parser(src, options.mode ?? "default").parseAll();
}
var MAX_EXPRESSION_DEPTH = 200;
var COMPARISONS = { ">": "Gt", ">=": "Ge", "<": "Lt", "<=": "Le", "==": "Eq", "!=": "Ne" };
var Parser = class {
  constructor(src, mode = "default") {
    this.src = src;
    this.mode = mode;
    this.tokens = tokenize(src);
  }
  src;
  mode;
  tokens;
  pos = 0;
  depth = 0;
  parseAll() {
    if (this.peek().kind === "end") throw syntaxError(this.src, 1, "the expression is empty");
    const result = this.expr();
    const next = this.peek();
    if (next.kind !== "end") {
      throw syntaxError(this.src, next.column, `expected an operator or the end of the expression, found ${describe(next)}`);
    }
    return result.node;
  }
  peek() {
    return this.tokens[this.pos];
  }
  next() {
    return this.tokens[this.pos++];
  }
  isOp(...symbols) {
    const t = this.peek();
    return t.kind === "op" && symbols.includes(t.text);
  }
  expr() {
    const left = this.bitOr();
    if (!this.isOp(...Object.keys(COMPARISONS))) return left;
    const opToken = this.next();
    const right = this.bitOr();
    for (const side of [left, right]) {
      if (side.bareLogic) {
        throw syntaxError(
          this.src,
          side.column,
          `ambiguous '${opToken.text}' next to '&'/'|': as in Python (and so in Qlib), '&' and '|' bind tighter than comparisons`,
          "add parentheses, e.g. ($a > $b) & ($c > $d)"
        );
      }
    }
    if (this.isOp(...Object.keys(COMPARISONS))) {
      throw syntaxError(
        this.src,
        this.peek().column,
        `chained comparison '${opToken.text} ... ${this.peek().text}' is not supported`,
        "compare two things at a time and combine them with &, e.g. ($a < $b) & ($b < $c)"
      );
    }
    return {
      node: callNode(COMPARISONS[opToken.text], [left.node, right.node]),
      column: left.column,
      bareLogic: false
    };
  }
  bitOr() {
    return this.leftAssoc(() => this.bitAnd(), { "|": "Or" }, true);
  }
  bitAnd() {
    return this.leftAssoc(() => this.additive(), { "&": "And" }, true);
  }
  additive() {
    return this.leftAssoc(() => this.term(), { "+": "Add", "-": "Sub" }, false);
  }
  term() {
    return this.leftAssoc(() => this.unary(), { "*": "Mul", "/": "Div" }, false);
  }
  leftAssoc(operand, ops, logic) {
    let left = operand();
    while (this.isOp(...Object.keys(ops))) {
      const opToken = this.next();
      const right = operand();
      left = {
        node: callNode(ops[opToken.text], [left.node, right.node]),
        column: left.column,
        bareLogic: logic || left.bareLogic
      };
    }
    return left;
  }
  /** Enters one nesting level (a '(', a call or a unary sign); throws past MAX_EXPRESSION_DEPTH. */
  nest(column, inner) {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      throw syntaxError(this.src, column, `the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`, "split it into several features");
    }
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }
  unary() {
    if (this.isOp("-", "+")) {
      const opToken = this.next();
      const operand = this.nest(opToken.column, () => this.unary());
      const node = opToken.text === "-" ? callNode("Neg", [operand.node]) : operand.node;
      return { node, column: opToken.column, bareLogic: false };
    }
    return this.primary();
  }
  primary() {
    const t = this.next();
    const plain = (node) => ({ node, column: t.column, bareLogic: false });
    switch (t.kind) {
      case "number":
        return plain(numberNode(t.value));
      case "field":
        return plain(fieldNode(t.text));
      case "name":
        return plain(this.nest(t.column, () => this.call(t)));
      case "(": {
        const inner = this.nest(t.column, () => this.expr());
        this.expect(")", `to close the '(' at column ${t.column}`);
        return { node: inner.node, column: t.column, bareLogic: false };
      }
      default:
        throw syntaxError(
          this.src,
          t.column,
          `expected an operand (a $field, a number, a function call or '('), found ${describe(t)}`
        );
    }
  }
  expect(kind, why) {
    const t = this.peek();
    if (t.kind !== kind) throw syntaxError(this.src, t.column, `expected '${kind}' ${why}, found ${describe(t)}`);
    return this.next();
  }
  call(nameToken) {
    const name = nameToken.text;
    if (this.peek().kind !== "(") {
      throw syntaxError(
        this.src,
        nameToken.column,
        `'${name}' is not an operand: fields start with '$' (e.g. $${name}) and operators are called as ${name}(...)`
      );
    }
    const spec = operatorSpec(name);
    if (!spec) {
      if (UNSUPPORTED_QLIB_OPERATORS.includes(name)) {
        throw syntaxError(this.src, nameToken.column, `Qlib's operator ${name} is not supported by qonline`);
      }
      const near = suggestOperators(name);
      throw syntaxError(
        this.src,
        nameToken.column,
        `unknown operator '${name}'`,
        near.length ? `did you mean ${near.join(", ")}?` : "see docs/expressions.md for the operators"
      );
    }
    const open = this.next();
    const args = [];
    if (this.peek().kind !== ")") {
      for (; ; ) {
        args.push(this.expr());
        if (this.peek().kind !== ",") break;
        this.next();
      }
    }
    this.expect(")", `to close the call of ${name} opened at column ${open.column}`);
    if (args.length !== spec.params.length) {
      throw syntaxError(
        this.src,
        nameToken.column,
        `${name} takes ${spec.params.length} argument${spec.params.length === 1 ? "" : "s"} ${operatorSignature(spec)}, found ${args.length}`
      );
    }
    spec.params.forEach((param, k) => {
      if (param.kind === "series") return;
      const arg = args[k];
      if (arg.node.type !== "number") {
        throw syntaxError(
          this.src,
          arg.column,
          `argument ${param.name} of ${operatorSignature(spec)} must be a number, found an expression`
        );
      }
      const problem = checkParam(spec, param.kind, arg.node.value, this.mode);
      if (problem) throw syntaxError(this.src, arg.column, problem);
    });
    return callNode(
      name,
      args.map((a) => a.node)
    );
  }
};
function describe(t) {
  switch (t.kind) {
    case "end":
      return "the end of the expression";
    case "number":
      return `the number ${t.text}`;
    case "field":
      return `the field $${t.text}`;
    case "name":
      return `the name ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}

// plugins/data-qlib/src/expr/format.ts
var INFIX = {
  Gt: { symbol: ">", prec: 1 },
  Ge: { symbol: ">=", prec: 1 },
  Lt: { symbol: "<", prec: 1 },
  Le: { symbol: "<=", prec: 1 },
  Eq: { symbol: "==", prec: 1 },
  Ne: { symbol: "!=", prec: 1 },
  Or: { symbol: "|", prec: 2 },
  And: { symbol: "&", prec: 3 },
  Add: { symbol: "+", prec: 4 },
  Sub: { symbol: "-", prec: 4 },
  Mul: { symbol: "*", prec: 5 },
  Div: { symbol: "/", prec: 5 }
};
var COMPARE_PREC = 1;
var LOGIC_MAX_PREC = 3;
var UNARY_PREC = 6;
var ATOM_PREC = 7;
function formatExpression(node) {
  return render(node).text;
}
function render(node) {
  switch (node.type) {
    case "field":
      return { text: "$" + node.name, prec: ATOM_PREC };
    case "number": {
      const text = Object.is(node.value, -0) ? "-0" : String(node.value);
      return { text, prec: node.value < 0 || text.startsWith("-") ? UNARY_PREC : ATOM_PREC };
    }
    case "call": {
      const infix = INFIX[node.op];
      if (infix && node.args.length === 2) {
        const left = render(node.args[0]);
        const right = render(node.args[1]);
        const leftNeeds = infix.prec === COMPARE_PREC ? left.prec <= LOGIC_MAX_PREC : left.prec < infix.prec;
        const rightNeeds = infix.prec === COMPARE_PREC ? right.prec <= LOGIC_MAX_PREC : right.prec <= infix.prec;
        return {
          text: `${wrap(left.text, leftNeeds)} ${infix.symbol} ${wrap(right.text, rightNeeds)}`,
          prec: infix.prec
        };
      }
      if (node.op === "Neg" && node.args.length === 1) {
        const operand = render(node.args[0]);
        return { text: "-" + wrap(operand.text, operand.prec < UNARY_PREC), prec: UNARY_PREC };
      }
      return { text: `${node.op}(${node.args.map((a) => render(a).text).join(", ")})`, prec: ATOM_PREC };
    }
  }
}
function wrap(text, needed) {
  return needed ? `(${text})` : text;
}

// plugins/data-qlib/src/expr/kernels/window.ts
var REBUILD_RATIO = 1e6;
function rowsOf(N2, length) {
  return N2 === 0 ? Math.max(1, length) : Math.max(1, Math.min(N2, length));
}
function windowStart(t, rows) {
  return t - rows + 1 > 0 ? t - rows + 1 : 0;
}
var IdenticalRun = class {
  /** Last non-NaN row whose value differs from the latest non-NaN value. */
  lastDifferent = -1;
  lastRow = -1;
  lastValue = NaN;
  push(t, v) {
    if (v !== v) return;
    if (this.lastRow >= 0 && v !== this.lastValue) this.lastDifferent = this.lastRow;
    this.lastValue = v;
    this.lastRow = t;
  }
  /** The latest non-NaN value pushed. */
  get value() {
    return this.lastValue;
  }
  /** True when every non-NaN value in rows start..(last pushed) equals the latest one. */
  identicalSince(start) {
    return this.lastDifferent < start;
  }
};
function infinitiesAsNaN(x) {
  let i = 0;
  while (i < x.length && x[i] !== Infinity && x[i] !== -Infinity) i++;
  if (i === x.length) return x;
  const out = x.slice();
  for (; i < out.length; i++) if (out[i] === Infinity || out[i] === -Infinity) out[i] = NaN;
  return out;
}
var f32Series = (n) => new Float32Array(n);
var f64Series = (n) => new Float64Array(n);

// plugins/data-qlib/src/expr/kernels/count.ts
function rollingCount(x, N2, alloc = f32Series) {
  const n = x.length;
  const out = alloc(n);
  const rows = rowsOf(N2, n);
  let cnt = 0;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) cnt++;
    if (t >= rows && x[t - rows] === x[t - rows]) cnt--;
    out[t] = cnt;
  }
  return out;
}

// plugins/data-qlib/src/expr/kernels/series-pool.ts
var MAX_POOLED = 256;
var capacity = 0;
var free = [];
function newSeries(n) {
  if (n > capacity) {
    free.length = 0;
    capacity = n;
  }
  const buffer = free.pop() ?? new Float32Array(capacity);
  return buffer.length === n ? buffer : buffer.subarray(0, n);
}
function recycleSeries(x) {
  if (x.byteOffset !== 0 || x.buffer.byteLength !== capacity * 4 || free.length >= MAX_POOLED) return;
  free.push(x.length === capacity ? x : new Float32Array(x.buffer, 0, capacity));
}

// plugins/data-qlib/src/expr/kernels/elementwise.ts
function numpyPower(a, b) {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}
function truthy(v) {
  return v !== 0;
}
function unaryScalar(op, a) {
  switch (op) {
    case "Neg":
      return -a;
    case "Abs":
      return Math.abs(a);
    case "Sign":
      return a > 0 ? 1 : a < 0 ? -1 : a === 0 ? 0 : NaN;
    case "Log":
      return Math.log(a);
    case "Not":
      return truthy(a) ? 0 : 1;
  }
}
function binaryScalar(op, a, b) {
  switch (op) {
    case "Add":
      return a + b;
    case "Sub":
      return a - b;
    case "Mul":
      return a * b;
    case "Div":
      return a / b;
    case "Power":
      return numpyPower(a, b);
    case "Greater":
      return a !== a || b !== b ? NaN : Math.max(a, b);
    case "Less":
      return a !== a || b !== b ? NaN : Math.min(a, b);
    case "Gt":
      return a > b ? 1 : 0;
    case "Ge":
      return a >= b ? 1 : 0;
    case "Lt":
      return a < b ? 1 : 0;
    case "Le":
      return a <= b ? 1 : 0;
    case "Eq":
      return a === b ? 1 : 0;
    case "Ne":
      return a !== b ? 1 : 0;
    case "And":
      return truthy(a) && truthy(b) ? 1 : 0;
    case "Or":
      return truthy(a) || truthy(b) ? 1 : 0;
  }
}
function like(a, n) {
  return a instanceof Float64Array ? new Float64Array(n) : newSeries(n);
}
function promoted(a, b, n) {
  return a instanceof Float64Array || b instanceof Float64Array ? new Float64Array(n) : newSeries(n);
}
function unaryArray(op, a) {
  const n = a.length;
  const out = like(a, n);
  switch (op) {
    case "Neg":
      for (let i = 0; i < n; i++) out[i] = -a[i];
      break;
    case "Abs":
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]);
      break;
    case "Log":
      for (let i = 0; i < n; i++) out[i] = Math.log(a[i]);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = unaryScalar(op, a[i]);
  }
  return out;
}
function binaryArray(op, a, b) {
  const n = a.length;
  const out = promoted(a, b, n);
  switch (op) {
    case "Add":
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      break;
    case "Sub":
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      break;
    case "Mul":
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      break;
    case "Div":
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      break;
    case "Gt":
      for (let i = 0; i < n; i++) out[i] = a[i] > b[i] ? 1 : 0;
      break;
    case "Lt":
      for (let i = 0; i < n; i++) out[i] = a[i] < b[i] ? 1 : 0;
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = binaryScalar(op, a[i], b[i]);
  }
  return out;
}
function binarySeriesScalar(op, a, scalar, scalarFirst) {
  const n = a.length;
  const out = like(a, n);
  const s = a instanceof Float32Array ? Math.fround(scalar) : scalar;
  switch (op) {
    case "Add":
      for (let i = 0; i < n; i++) out[i] = a[i] + s;
      return out;
    case "Mul":
      for (let i = 0; i < n; i++) out[i] = a[i] * s;
      return out;
    case "Sub":
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = s - a[i];
      else for (let i = 0; i < n; i++) out[i] = a[i] - s;
      return out;
    case "Div":
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = s / a[i];
      else for (let i = 0; i < n; i++) out[i] = a[i] / s;
      return out;
    default:
      if (scalarFirst) for (let i = 0; i < n; i++) out[i] = binaryScalar(op, s, a[i]);
      else for (let i = 0; i < n; i++) out[i] = binaryScalar(op, a[i], s);
      return out;
  }
}
function ifArray(cond, a, b) {
  const n = cond.length;
  const out = promoted(a, b, n);
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  return out;
}

// plugins/data-qlib/src/expr/kernels/extrema.ts
function rollingExtremumInto(x, N2, wantMax, valueOut, positionOut) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  const deque = dequeScratch(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (v === v) {
      if (wantMax) while (tail > head && x[deque[tail - 1]] < v) tail--;
      else while (tail > head && x[deque[tail - 1]] > v) tail--;
      deque[tail++] = t;
    }
    const start = windowStart(t, rows);
    while (tail > head && deque[head] < start) head++;
    if (tail === head) {
      if (valueOut) valueOut[t] = NaN;
      if (positionOut) positionOut[t] = NaN;
    } else {
      if (valueOut) valueOut[t] = x[deque[head]];
      if (positionOut) positionOut[t] = deque[head] - start + 1;
    }
  }
}
var scratch = new Int32Array(0);
function dequeScratch(n) {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

// plugins/data-qlib/src/expr/kernels/moments.ts
var ORDER = { sum: 1, mean: 1, var: 2, std: 2, skew: 3, kurt: 4 };
var K = 0;
var CNT = 1;
var S1 = 2;
var S2 = 3;
var S3 = 4;
var S4 = 5;
var MASS1 = 6;
var MASS3 = 7;
var ABS = 8;
function rebuildSums(x, start, t, st) {
  let total = 0;
  let c = 0;
  for (let j = start; j <= t; j++) {
    const v = x[j];
    if (v === v) {
      total += v;
      c++;
    }
  }
  const k = c > 0 ? total / c : 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let mass1 = 0;
  let mass3 = 0;
  let abs = 0;
  for (let j = start; j <= t; j++) {
    const v = x[j];
    if (v !== v) continue;
    const d = v - k;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    mass1 += Math.abs(d);
    mass3 += Math.abs(d2 * d);
    abs += Math.abs(v);
  }
  st[K] = k;
  st[CNT] = c;
  st[S1] = s1;
  st[S2] = s2;
  st[S3] = s3;
  st[S4] = s4;
  st[MASS1] = mass1;
  st[MASS3] = mass3;
  st[ABS] = abs;
}
function rollingMoments(x, N2, stat, alloc = f32Series) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (stat === "sum" || stat === "mean") return rollingFirstOrder(x, rows, stat === "mean", alloc);
  if (stat === "var" || stat === "std") return rollingSecondOrder(x, rows, stat === "std", alloc(n));
  const out = alloc(n);
  const order = ORDER[stat];
  const high = order >= 3;
  const run = new IdenticalRun();
  const st = new Float64Array(9);
  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let ops = 0;
  let mass1 = 0;
  let mass2 = 0;
  let mass3 = 0;
  let mass4 = 0;
  let absWindow = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = x[t - rows];
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = s2 = s3 = s4 = mass1 = mass2 = mass3 = mass4 = absWindow = ops = 0;
        } else {
          const d = u - k;
          const d2 = d * d;
          s1 -= d;
          s2 -= d2;
          absWindow -= Math.abs(u);
          mass1 += Math.abs(d);
          mass2 += d2;
          ops++;
          if (high) {
            s3 -= d2 * d;
            s4 -= d2 * d2;
            mass3 += Math.abs(d2 * d);
            mass4 += d2 * d2;
          }
        }
      }
    }
    const v = x[t];
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      absWindow += Math.abs(v);
      mass1 += Math.abs(d);
      mass2 += d2;
      ops++;
      if (high) {
        s3 += d2 * d;
        s4 += d2 * d2;
        mass3 += Math.abs(d2 * d);
        mass4 += d2 * d2;
      }
    }
    run.push(t, v);
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    let m2c = s2 - s1 * s1 / cnt;
    let rebuild;
    if (order === 1) rebuild = ops * mass1 > REBUILD_RATIO * absWindow;
    else if (cnt < 2) rebuild = false;
    else {
      const limit = REBUILD_RATIO / ops;
      rebuild = mass2 > limit * m2c;
      if (high && !rebuild) {
        const B = m2c / cnt;
        rebuild = mass3 > limit * cnt * B * Math.sqrt(B) || mass4 > limit * cnt * B * B;
      }
    }
    if (rebuild) {
      rebuildSums(x, windowStart(t, rows), t, st);
      k = st[K];
      cnt = st[CNT];
      s1 = st[S1];
      s2 = st[S2];
      s3 = st[S3];
      s4 = st[S4];
      mass1 = st[MASS1];
      mass2 = s2;
      mass3 = st[MASS3];
      mass4 = s4;
      absWindow = st[ABS];
      ops = cnt;
      m2c = s2 - s1 * s1 / cnt;
    }
    switch (stat) {
      case "skew": {
        if (cnt < 3) out[t] = NaN;
        else if (run.identicalSince(windowStart(t, rows))) out[t] = 0;
        else {
          const mu = s1 / cnt;
          const B = m2c / cnt;
          const C = (s3 - 3 * mu * s2 + 2 * cnt * mu * mu * mu) / cnt;
          out[t] = B <= 1e-14 ? NaN : Math.sqrt(cnt * (cnt - 1)) * C / ((cnt - 2) * B * Math.sqrt(B));
        }
        break;
      }
      case "kurt": {
        if (cnt < 4) out[t] = NaN;
        else if (run.identicalSince(windowStart(t, rows))) out[t] = -3;
        else {
          const mu = s1 / cnt;
          const mu2 = mu * mu;
          const B = m2c / cnt;
          const D = (s4 - 4 * mu * s3 + 6 * mu2 * s2 - 3 * cnt * mu2 * mu2) / cnt;
          out[t] = B <= 1e-14 ? NaN : ((cnt * cnt - 1) * D / (B * B) - 3 * (cnt - 1) * (cnt - 1)) / ((cnt - 2) * (cnt - 3));
        }
        break;
      }
    }
  }
  return out;
}
function rollingFirstOrder(x, rows, mean, alloc) {
  const n = x.length;
  const out = alloc(n);
  let lastDifferent = -1;
  let lastRow = -1;
  let lastValue = NaN;
  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let ops = 0;
  let mass1 = 0;
  let absWindow = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = x[t - rows];
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = mass1 = absWindow = ops = 0;
        } else {
          const d = u - k;
          s1 -= d;
          absWindow -= Math.abs(u);
          mass1 += Math.abs(d);
          ops++;
        }
      }
    }
    const v = x[t];
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      s1 += d;
      absWindow += Math.abs(v);
      mass1 += Math.abs(d);
      ops++;
    }
    if (mean && v === v) {
      if (lastRow >= 0 && v !== lastValue) lastDifferent = lastRow;
      lastValue = v;
      lastRow = t;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    if (ops * mass1 > REBUILD_RATIO * absWindow) {
      const start = windowStart(t, rows);
      let total = 0;
      let c = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j];
        if (w === w) {
          total += w;
          c++;
        }
      }
      k = c > 0 ? total / c : 0;
      s1 = mass1 = absWindow = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j];
        if (w !== w) continue;
        const d = w - k;
        s1 += d;
        mass1 += Math.abs(d);
        absWindow += Math.abs(w);
      }
      cnt = c;
      ops = cnt;
    }
    out[t] = !mean ? cnt * k + s1 : lastDifferent < windowStart(t, rows) ? lastValue : k + s1 / cnt;
  }
  return out;
}
function rollingSecondOrder(x, rows, std, out) {
  const n = x.length;
  let lastDifferent = -1;
  let lastRow = -1;
  let lastValue = NaN;
  let k = 0;
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let ops = 0;
  let mass2 = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = x[t - rows];
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          s1 = s2 = mass2 = ops = 0;
        } else {
          const d = u - k;
          const d2 = d * d;
          s1 -= d;
          s2 -= d2;
          mass2 += d2;
          ops++;
        }
      }
    }
    const v = x[t];
    if (v === v) {
      if (cnt === 0) k = v;
      cnt++;
      const d = v - k;
      const d2 = d * d;
      s1 += d;
      s2 += d2;
      mass2 += d2;
      ops++;
    }
    if (v === v) {
      if (lastRow >= 0 && v !== lastValue) lastDifferent = lastRow;
      lastValue = v;
      lastRow = t;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    let m2c = s2 - s1 * s1 / cnt;
    if (cnt >= 2 && mass2 > REBUILD_RATIO / ops * m2c) {
      const start = windowStart(t, rows);
      let total = 0;
      let c = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j];
        if (w === w) {
          total += w;
          c++;
        }
      }
      k = c > 0 ? total / c : 0;
      s1 = s2 = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j];
        if (w !== w) continue;
        const d = w - k;
        s1 += d;
        s2 += d * d;
      }
      cnt = c;
      mass2 = s2;
      ops = cnt;
      m2c = s2 - s1 * s1 / cnt;
    }
    const variance = cnt < 2 ? NaN : lastDifferent < windowStart(t, rows) ? 0 : Math.max(m2c, 0) / (cnt - 1);
    out[t] = std ? Math.sqrt(variance) : variance;
  }
  return out;
}
function rollingStdInto(x, N2, out) {
  return rollingSecondOrder(x, rowsOf(N2, x.length), true, out);
}

// plugins/data-qlib/src/expr/kernels/sorted-window.ts
function countBelow(buf, size, v) {
  if (size > SCAN_LIMIT) return lowerBound(buf, size, v);
  let c = 0;
  for (let j = 0; j < size; j++) c += buf[j] < v ? 1 : 0;
  return c;
}
var SCAN_LIMIT = 12;
function lowerBound(buf, size, v) {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = lo + hi >>> 1;
    if (buf[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function sortedWindowStatsInto(x, N2, outputs) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (rows < 16 && outputs.every((o) => o.stat === "rank")) {
    for (const o of outputs) scanRank(x, rows, o.out);
    return;
  }
  const sorted = outputs;
  const outs = sorted.length;
  const buf = new Float64Array(rows);
  let size = 0;
  let at2 = -1;
  for (let t = 0; t < n; t++) {
    const u = t >= rows ? x[t - rows] : NaN;
    const v = x[t];
    if (u === u && v === v) {
      let j = countBelow(buf, size, u);
      const w = v + 0;
      if (w > buf[j]) for (; j + 1 < size && buf[j + 1] < w; j++) buf[j] = buf[j + 1];
      else for (; j > 0 && buf[j - 1] > w; j--) buf[j] = buf[j - 1];
      buf[j] = w;
      at2 = j;
    } else {
      at2 = -1;
      if (u === u) {
        for (let j = countBelow(buf, size, u) + 1; j < size; j++) buf[j - 1] = buf[j];
        size--;
      }
      if (v === v) {
        let j = size;
        for (; j > 0 && buf[j - 1] > v; j--) buf[j] = buf[j - 1];
        buf[j] = v + 0;
        size++;
        at2 = j;
      }
    }
    if (size === 0) {
      for (let o = 0; o < outs; o++) sorted[o].out[t] = NaN;
      continue;
    }
    for (let o = 0; o < outs; o++) {
      const { stat, q, out } = sorted[o];
      switch (stat) {
        case "rank": {
          if (at2 < 0) {
            out[t] = NaN;
            break;
          }
          const w = buf[at2];
          let lo = at2;
          while (lo > 0 && buf[lo - 1] === w) lo--;
          let hi = at2;
          while (hi + 1 < size && buf[hi + 1] === w) hi++;
          out[t] = (lo + (hi - lo + 1 + 1) / 2) / size;
          break;
        }
        case "median": {
          const h = size >> 1;
          out[t] = size % 2 === 1 ? buf[h] : (buf[h - 1] + buf[h]) / 2;
          break;
        }
        case "quantile": {
          const at3 = q * (size - 1);
          const lo = Math.floor(at3);
          const low = buf[lo];
          out[t] = at3 === lo ? low : low + (buf[lo + 1] - low) * (at3 - lo);
          break;
        }
        case "mad": {
          if (buf[0] === buf[size - 1]) {
            out[t] = 0;
            break;
          }
          let total = 0;
          for (let j = 0; j < size; j++) total += buf[j];
          const mean = total / size;
          let deviation = 0;
          for (let j = 0; j < size; j++) deviation += Math.abs(buf[j] - mean);
          out[t] = deviation / size;
          break;
        }
      }
    }
  }
}
function scanRank(x, rows, out) {
  const n = x.length;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (v !== v) {
      out[t] = NaN;
      continue;
    }
    let below = 0;
    let equal = 0;
    let count = 0;
    for (let j = t - rows + 1 > 0 ? t - rows + 1 : 0; j <= t; j++) {
      const b = x[j];
      below += b < v ? 1 : 0;
      equal += b === v ? 1 : 0;
      count += b === b ? 1 : 0;
    }
    out[t] = (below + (equal + 1) / 2) / count;
  }
}

// plugins/data-qlib/src/expr/kernels/value-ranks.ts
var RADIX_BITS = 11;
var BUCKETS = 1 << RADIX_BITS;
function valueRanks(x) {
  const n = x.length;
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  let keys = new Uint32Array(n);
  let order = new Int32Array(n);
  let m = 0;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (v !== v) continue;
    const b = v === 0 ? 0 : bits[t];
    keys[m] = b & 2147483648 ? ~b >>> 0 : (b | 2147483648) >>> 0;
    order[m] = t;
    m++;
  }
  let keysOut = new Uint32Array(m);
  let orderOut = new Int32Array(m);
  const counts = new Int32Array(BUCKETS);
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[keys[i] >>> shift & BUCKETS - 1]++;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const slot = counts[keys[i] >>> shift & BUCKETS - 1]++;
      keysOut[slot] = keys[i];
      orderOut[slot] = order[i];
    }
    [keys, keysOut] = [keysOut, keys];
    [order, orderOut] = [orderOut, order];
  }
  const rank = new Int32Array(n).fill(-1);
  const values = new Float64Array(m);
  let distinct = 0;
  for (let i = 0; i < m; i++) {
    const v = x[order[i]];
    if (distinct === 0 || values[distinct - 1] !== v) values[distinct++] = v + 0;
    rank[order[i]] = distinct - 1;
  }
  return { values: values.slice(0, distinct), rank };
}

// plugins/data-qlib/src/expr/kernels/order-stats.ts
function countUpTo(counts, r) {
  let c = 0;
  for (let i = r + 1; i > 0; i -= i & -i) c += counts[i];
  return c;
}
function sumUpTo(sums, r) {
  let s = 0;
  for (let i = r + 1; i > 0; i -= i & -i) s += sums[i];
  return s;
}
function kthRank(counts, m, topBit, k) {
  let pos = 0;
  for (let step = topBit; step > 0; step >>= 1) {
    const next = pos + step;
    if (next <= m && counts[next] < k) {
      pos = next;
      k -= counts[next];
    }
  }
  return pos;
}
function upperBound(values, v) {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = lo + hi >>> 1;
    if (values[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
var SMALL_WINDOW = 40;
var SMALL_SORTED_WINDOW = 100;
function rollingOrderStatsInto(x, N2, outputs, ranks) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (rows <= (outputs.some((o) => o.stat === "mad") ? SMALL_WINDOW : SMALL_SORTED_WINDOW)) {
    sortedWindowStatsInto(x, N2, outputs);
    return;
  }
  const global = ranks ? ranks() : valueRanks(x);
  if (rows >= n) {
    orderStatBlock(x, rows, outputs, 0, n, 0, global.rank, global.values, new IdenticalRun());
    return;
  }
  const rank = new Int32Array(n).fill(-1);
  const localOf = new Int32Array(global.values.length);
  const sorted = new Int32Array(2 * rows);
  const values = new Float64Array(2 * rows);
  const run = new IdenticalRun();
  for (let b0 = 0; b0 < n; b0 += rows) {
    const b1 = Math.min(n, b0 + rows);
    const d0 = Math.max(0, b0 - rows + 1);
    let k = 0;
    for (let t = d0; t < b1; t++) if (global.rank[t] >= 0) sorted[k++] = global.rank[t];
    const block = sorted.subarray(0, k).sort();
    let m = 0;
    for (let i = 0; i < k; i++) {
      const g = block[i];
      if (m === 0 || block[i - 1] !== g) {
        values[m] = global.values[g];
        localOf[g] = m++;
      }
    }
    for (let t = d0; t < b1; t++) rank[t] = global.rank[t] >= 0 ? localOf[global.rank[t]] : -1;
    orderStatBlock(x, rows, outputs, b0, b1, d0, rank, values.subarray(0, m), run);
  }
}
function orderStatBlock(x, rows, outputs, b0, b1, d0, rank, values, run) {
  const m = values.length;
  const counts = new Int32Array(m + 1);
  const outs = outputs.length;
  const mad = outputs.some((o) => o.stat === "mad");
  const sums = new Float64Array(mad ? m + 1 : 1);
  let topBit = 1;
  while (topBit * 2 <= m) topBit *= 2;
  let ops = 0;
  let mass = 0;
  let absWindow = 0;
  let cnt = 0;
  for (let j = d0; j < b0; j++) {
    const r = rank[j];
    if (r < 0) continue;
    for (let i = r + 1; i <= m; i += i & -i) counts[i]++;
    cnt++;
    if (mad) {
      const v = x[j];
      for (let i = r + 1; i <= m; i += i & -i) sums[i] += v;
      ops++;
      mass += Math.abs(v);
      absWindow += Math.abs(v);
    }
  }
  for (let t = b0; t < b1; t++) {
    if (t - rows >= d0) {
      const r2 = rank[t - rows];
      if (r2 >= 0) {
        for (let i = r2 + 1; i <= m; i += i & -i) counts[i]--;
        cnt--;
        if (mad) {
          const u = x[t - rows];
          for (let i = r2 + 1; i <= m; i += i & -i) sums[i] -= u;
          ops++;
          mass += Math.abs(u);
          absWindow -= Math.abs(u);
        }
      }
    }
    const r = rank[t];
    const v = x[t];
    if (r >= 0) {
      for (let i = r + 1; i <= m; i += i & -i) counts[i]++;
      cnt++;
      if (mad) {
        for (let i = r + 1; i <= m; i += i & -i) sums[i] += v;
        ops++;
        mass += Math.abs(v);
        absWindow += Math.abs(v);
      }
    }
    if (cnt === 0) {
      for (let o = 0; o < outs; o++) outputs[o].out[t] = NaN;
      continue;
    }
    for (let o = 0; o < outs; o++) {
      const { stat, q, out } = outputs[o];
      switch (stat) {
        case "rank": {
          if (r < 0) out[t] = NaN;
          else {
            const below = r > 0 ? countUpTo(counts, r - 1) : 0;
            const equal = countUpTo(counts, r) - below;
            out[t] = (below + (equal + 1) / 2) / cnt;
          }
          break;
        }
        case "median":
          out[t] = cnt % 2 === 1 ? values[kthRank(counts, m, topBit, (cnt + 1) / 2)] : (values[kthRank(counts, m, topBit, cnt / 2)] + values[kthRank(counts, m, topBit, cnt / 2 + 1)]) / 2;
          break;
        case "quantile": {
          const at2 = q * (cnt - 1);
          const lo = Math.floor(at2);
          const low = values[kthRank(counts, m, topBit, lo + 1)];
          out[t] = at2 === lo ? low : low + (values[kthRank(counts, m, topBit, lo + 2)] - low) * (at2 - lo);
          break;
        }
        case "mad": {
          run.push(t, v);
          const start = windowStart(t, rows);
          if (run.identicalSince(start)) {
            out[t] = 0;
            break;
          }
          if (ops * mass > REBUILD_RATIO * absWindow) {
            sums.fill(0);
            ops = mass = absWindow = 0;
            for (let j = start; j <= t; j++) {
              if (rank[j] < 0) continue;
              for (let i = rank[j] + 1; i <= m; i += i & -i) sums[i] += x[j];
              ops++;
              mass += Math.abs(x[j]);
              absWindow += Math.abs(x[j]);
            }
          }
          const total = sumUpTo(sums, m - 1);
          const mean = total / cnt;
          const split = upperBound(values, mean) - 1;
          const lowCount = split >= 0 ? countUpTo(counts, split) : 0;
          const lowSum = split >= 0 ? sumUpTo(sums, split) : 0;
          out[t] = (lowCount * mean - lowSum + (total - lowSum) - (cnt - lowCount) * mean) / cnt;
          break;
        }
      }
    }
  }
}

// plugins/data-qlib/src/expr/kernels/regression.ts
var NEAR_CONSTANT_STD = 2e-5;
var BASE = 0;
var K2 = 1;
var CNT2 = 2;
var SX = 3;
var SXX = 4;
var SY = 5;
var SYY = 6;
var SXY = 7;
function rebuildSums2(y, start, t, st) {
  let total = 0;
  let c = 0;
  for (let j = start; j <= t; j++) {
    if (y[j] === y[j]) {
      total += y[j];
      c++;
    }
  }
  const k = c > 0 ? total / c : 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = start; j <= t; j++) {
    const v = y[j];
    if (v !== v) continue;
    const px = j - t;
    const d = v - k;
    sx += px;
    sxx += px * px;
    sy += d;
    syy += d * d;
    sxy += px * d;
  }
  st[BASE] = t;
  st[K2] = k;
  st[CNT2] = c;
  st[SX] = sx;
  st[SXX] = sxx;
  st[SY] = sy;
  st[SYY] = syy;
  st[SXY] = sxy;
}
function rollingRegressionInto(y, N2, outs, mask = true) {
  const n = y.length;
  const slopeOut = outs.slope ?? null;
  const rsquareOut = outs.rsquare ?? null;
  const resiOut = outs.resi ?? null;
  const rows = rowsOf(N2, n);
  const st = new Float64Array(8);
  let base = 0;
  let k = 0;
  let cnt = 0;
  let sx = 0;
  let sxx = 0;
  let sy = 0;
  let syy = 0;
  let sxy = 0;
  let ops = 0;
  let mass = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const u = y[t - rows];
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          sx = sxx = sy = syy = sxy = mass = ops = 0;
        } else {
          const px = t - rows - base;
          const d = u - k;
          sx -= px;
          sxx -= px * px;
          sy -= d;
          syy -= d * d;
          sxy -= px * d;
          mass += d * d;
          ops++;
        }
      }
    }
    const v = y[t];
    if (v === v) {
      if (cnt === 0) {
        k = v;
        base = t;
      }
      cnt++;
      const px = t - base;
      const d = v - k;
      sx += px;
      sxx += px * px;
      sy += d;
      syy += d * d;
      sxy += px * d;
      mass += d * d;
      ops++;
    }
    if (cnt < 2) {
      if (slopeOut) slopeOut[t] = NaN;
      if (rsquareOut) rsquareOut[t] = NaN;
      if (resiOut) resiOut[t] = NaN;
      continue;
    }
    if (t - base > rows) {
      const shift = t - base;
      sxy -= shift * sy;
      sxx += shift * (shift * cnt - 2 * sx);
      sx -= shift * cnt;
      base = t;
    }
    if (ops * mass > REBUILD_RATIO * (syy - sy * sy / cnt)) {
      rebuildSums2(y, windowStart(t, rows), t, st);
      base = st[BASE];
      k = st[K2];
      cnt = st[CNT2];
      sx = st[SX];
      sxx = st[SXX];
      sy = st[SY];
      syy = st[SYY];
      sxy = st[SXY];
      mass = syy;
      ops = cnt;
    }
    const sxxc = sxx - sx * sx / cnt;
    const sxyc = sxy - sx * sy / cnt;
    const slope = sxyc / sxxc;
    if (slopeOut) slopeOut[t] = slope;
    if (rsquareOut) {
      const syyc = syy - sy * sy / cnt;
      const std = Math.sqrt(Math.max(syyc, 0) / (cnt - 1));
      rsquareOut[t] = mask && std <= NEAR_CONSTANT_STD ? NaN : sxyc * sxyc / (sxxc * syyc);
    }
    if (resiOut) resiOut[t] = v !== v ? NaN : v - k - sy / cnt - slope * (t - base - sx / cnt);
  }
}

// plugins/data-qlib/src/expr/kernels/pairwise.ts
var stdScratchA = new Float32Array(0);
var stdScratchB = new Float32Array(0);
var KA = 0;
var KB = 1;
var CNT3 = 2;
var SA = 3;
var SB = 4;
var SAA = 5;
var SBB = 6;
var SAB = 7;
function rebuildSums3(a, b, start, t, st) {
  let ta = 0;
  let tb = 0;
  let c = 0;
  for (let j = start; j <= t; j++) {
    if (a[j] === a[j] && b[j] === b[j]) {
      ta += a[j];
      tb += b[j];
      c++;
    }
  }
  const ka = c > 0 ? ta / c : 0;
  const kb = c > 0 ? tb / c : 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let j = start; j <= t; j++) {
    if (!(a[j] === a[j] && b[j] === b[j])) continue;
    const da = a[j] - ka;
    const db = b[j] - kb;
    sa += da;
    sb += db;
    saa += da * da;
    sbb += db * db;
    sab += da * db;
  }
  st[KA] = ka;
  st[KB] = kb;
  st[CNT3] = c;
  st[SA] = sa;
  st[SB] = sb;
  st[SAA] = saa;
  st[SBB] = sbb;
  st[SAB] = sab;
}
function rollingPair(a, b, N2, stat, alloc = f32Series) {
  const n = a.length;
  const out = alloc(n);
  const rows = rowsOf(N2, n);
  const st = new Float64Array(8);
  let ka = 0;
  let kb = 0;
  let cnt = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let ops = 0;
  let massA = 0;
  let massB = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const j = t - rows;
      const u2 = a[j];
      const w2 = b[j];
      if (u2 === u2 && w2 === w2) {
        cnt--;
        if (cnt === 0) {
          sa = sb = saa = sbb = sab = massA = massB = ops = 0;
        } else {
          const da = u2 - ka;
          const db = w2 - kb;
          sa -= da;
          sb -= db;
          saa -= da * da;
          sbb -= db * db;
          sab -= da * db;
          massA += da * da;
          massB += db * db;
          ops++;
        }
      }
    }
    const u = a[t];
    const w = b[t];
    if (u === u && w === w) {
      if (cnt === 0) {
        ka = u;
        kb = w;
      }
      cnt++;
      const da = u - ka;
      const db = w - kb;
      sa += da;
      sb += db;
      saa += da * da;
      sbb += db * db;
      sab += da * db;
      massA += da * da;
      massB += db * db;
      ops++;
    }
    if (cnt < 2) {
      out[t] = NaN;
      continue;
    }
    let caa = saa - sa * sa / cnt;
    let cbb = sbb - sb * sb / cnt;
    const limit = REBUILD_RATIO / ops;
    if (massA > limit * caa || massB > limit * cbb) {
      rebuildSums3(a, b, windowStart(t, rows), t, st);
      ka = st[KA];
      kb = st[KB];
      cnt = st[CNT3];
      sa = st[SA];
      sb = st[SB];
      saa = st[SAA];
      sbb = st[SBB];
      sab = st[SAB];
      massA = saa;
      massB = sbb;
      ops = cnt;
      caa = saa - sa * sa / cnt;
      cbb = sbb - sb * sb / cnt;
    }
    const cab = sab - sa * sb / cnt;
    if (stat === "cov") out[t] = cab / (cnt - 1);
    else out[t] = caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : NaN;
  }
  if (stat === "corr") {
    if (stdScratchA.length < n) {
      stdScratchA = new Float32Array(Math.max(n, 2 * stdScratchA.length));
      stdScratchB = new Float32Array(stdScratchA.length);
    }
    const stdA = rollingStdInto(a, N2, stdScratchA);
    const stdB = a === b ? stdA : rollingStdInto(b, N2, stdScratchB);
    for (let t = 0; t < n; t++) {
      if (stdA[t] <= NEAR_CONSTANT_STD || stdB[t] <= NEAR_CONSTANT_STD) out[t] = NaN;
    }
  }
  return out;
}

// plugins/data-qlib/src/expr/kernels/shift.ts
function shiftRows(x, N2) {
  const n = x.length;
  const out = (x instanceof Float32Array ? newSeries(n) : new Float64Array(n)).fill(NaN);
  for (let t = Math.max(0, N2); t < n && t - N2 < n; t++) out[t] = x[t - N2];
  return out;
}
function deltaRows(x, N2) {
  const n = x.length;
  const out = x instanceof Float32Array ? newSeries(n) : new Float64Array(n);
  if (N2 === 0) {
    let first = NaN;
    for (let t = 0; t < n && first !== first; t++) first = x[t];
    for (let t = 0; t < n; t++) out[t] = x[t] - first;
    return out;
  }
  for (let t = 0; t < n; t++) {
    const s = t - N2;
    out[t] = s >= 0 && s < n ? x[t] - x[s] : NaN;
  }
  return out;
}

// plugins/data-qlib/src/expr/kernels/weighted.ts
function rollingWma(x, N2, alloc = f32Series) {
  const n = x.length;
  const out = alloc(n);
  const rows = rowsOf(N2, n);
  let base = -1;
  let cnt = 0;
  let sum = 0;
  let weighted = 0;
  let ops = 0;
  let mass = 0;
  let absWindow = 0;
  for (let t = 0; t < n; t++) {
    if (t >= rows) {
      const j = t - rows;
      const u = x[j];
      if (u === u) {
        cnt--;
        if (cnt === 0) {
          sum = weighted = mass = absWindow = ops = 0;
        } else {
          sum -= u;
          weighted -= (j - base) * u;
          mass += Math.abs(u);
          absWindow -= Math.abs(u);
          ops++;
        }
      }
    }
    const v = x[t];
    if (v === v) {
      cnt++;
      sum += v;
      weighted += (t - base) * v;
      mass += Math.abs(v);
      absWindow += Math.abs(v);
      ops++;
    }
    if (cnt === 0) {
      out[t] = NaN;
      continue;
    }
    const start = windowStart(t, rows);
    if (start - 1 - base > rows) {
      weighted -= (start - 1 - base) * sum;
      base = start - 1;
    }
    if (ops * mass * (t - base) > REBUILD_RATIO * absWindow) {
      base = start - 1;
      cnt = 0;
      sum = weighted = absWindow = 0;
      for (let j = start; j <= t; j++) {
        const w = x[j];
        if (w !== w) continue;
        cnt++;
        sum += w;
        weighted += (j - base) * w;
        absWindow += Math.abs(w);
      }
      mass = absWindow;
      ops = cnt;
    }
    const L = t - start + 1;
    const relative = weighted - (start - 1 - base) * sum;
    out[t] = relative / (L * (L + 1) / 2 * cnt);
  }
  return out;
}
function ewmMean(x, alpha, alloc = f32Series) {
  const n = x.length;
  const out = alloc(n);
  const decay = 1 - alpha;
  let mean = NaN;
  let oldWeight = 1;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (mean === mean) {
      oldWeight *= decay;
      if (v === v) {
        if (mean !== v) mean = (oldWeight * mean + v) / (oldWeight + 1);
        oldWeight += 1;
      }
    } else if (v === v) {
      mean = v;
    }
    out[t] = mean;
  }
  return out;
}
function emaAlpha(N2) {
  return N2 >= 1 ? 2 / (N2 + 1) : N2;
}

// plugins/data-qlib/src/expr/kernels/qlib.ts
function firstValueRows(x) {
  const out = new x.constructor(x.length);
  if (x.length) out.fill(x[0]);
  return out;
}
function minusFirstRows(x) {
  const out = new x.constructor(x.length);
  if (!x.length) return out;
  const first = x[0];
  for (let t = 0; t < x.length; t++) out[t] = x[t] - first;
  return out;
}
function qlibArgExtremum(x, N2, plain, alloc = f32Series) {
  const n = x.length;
  const out = alloc(n);
  const firstNaN = new Int32Array(n + 1);
  firstNaN[n] = n;
  for (let i = n - 1; i >= 0; i--) firstNaN[i] = x[i] !== x[i] ? i : firstNaN[i + 1];
  const values = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) values[i + 1] = values[i] + (x[i] === x[i] ? 1 : 0);
  for (let t = 0; t < n; t++) {
    const lo = N2 === 0 ? 0 : Math.max(0, t - N2 + 1);
    if (values[t + 1] - values[lo] === 0) out[t] = NaN;
    else if (firstNaN[lo] <= t) out[t] = firstNaN[lo] - lo + 1;
    else out[t] = plain[t];
  }
  return out;
}
function qlibExpandingEma(x, alloc = f32Series) {
  const n = x.length;
  const out = alloc(n);
  let seen = false;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) seen = true;
    if (!seen) {
      out[t] = NaN;
      continue;
    }
    const L = t + 1;
    const a = 1 - 2 / (1 + L);
    let wsum = 0;
    let acc = 0;
    for (let i = 0; i <= t; i++) {
      const w = Math.pow(a, t - i);
      wsum += w;
      const v = x[i];
      if (v === v) acc += w * v;
    }
    out[t] = acc / wsum;
  }
  return out;
}

// plugins/data-qlib/src/expr/kernels/qlib-regression.ts
function qlibRollingRegression(y, window, stat, alloc = f32Series) {
  const n = y.length;
  const out = alloc(n);
  const ring = new Float64Array(window).fill(NaN);
  let head = 0;
  let naCount = window;
  let iSum = 0;
  let xSum = 0;
  let x2Sum = 0;
  let ySum = 0;
  let y2Sum = 0;
  let xySum = 0;
  const ww = window * window;
  for (let t = 0; t < n; t++) {
    const val = y[t];
    xySum = xySum - ySum;
    x2Sum = x2Sum + iSum - 2 * xSum;
    xSum = xSum - iSum;
    const front = ring[head];
    if (!Number.isNaN(front)) {
      iSum -= 1;
      ySum -= front;
      y2Sum -= front * front;
    } else naCount -= 1;
    ring[head] = val;
    head = head + 1 === window ? 0 : head + 1;
    if (Number.isNaN(val)) naCount += 1;
    else {
      iSum += 1;
      xSum += window;
      x2Sum += ww;
      ySum += val;
      y2Sum += val * val;
      xySum += window * val;
    }
    out[t] = finish(stat, window - naCount, xSum, x2Sum, ySum, y2Sum, xySum, val, window);
  }
  return out;
}
function qlibExpandingRegression(y, stat, alloc = f32Series) {
  const n = y.length;
  const out = alloc(n);
  let naCount = 0;
  let xSum = 0;
  let x2Sum = 0;
  let ySum = 0;
  let y2Sum = 0;
  let xySum = 0;
  for (let t = 0; t < n; t++) {
    const val = y[t];
    const size = t + 1;
    if (Number.isNaN(val)) naCount += 1;
    else {
      xSum += size;
      x2Sum += size * size;
      ySum += val;
      y2Sum += val * val;
      xySum += size * val;
    }
    out[t] = finish(stat, size - naCount, xSum, x2Sum, ySum, y2Sum, xySum, val, size);
  }
  return out;
}
function finish(stat, N2, xSum, x2Sum, ySum, y2Sum, xySum, val, xNow) {
  const num = N2 * xySum - xSum * ySum;
  const den = N2 * x2Sum - xSum * xSum;
  switch (stat) {
    case "slope":
      return num / den;
    case "rsquare": {
      const r = num / Math.sqrt(den * (N2 * y2Sum - ySum * ySum));
      return r * r;
    }
    case "resi": {
      const slope = num / den;
      const xMean = xSum / N2;
      const yMean = ySum / N2;
      const interp = yMean - slope * xMean;
      return val - (slope * xNow + interp);
    }
  }
}

// plugins/data-qlib/src/expr/plan.ts
function planOf(node, mode = "default") {
  const text = () => safeFormat(node);
  if (node === null || typeof node !== "object") throw nodeError(`an expression node must be an object, found ${String(node)}`);
  switch (node.type) {
    case "field":
      if (typeof node.name !== "string" || !/^\w+$/.test(node.name)) {
        throw nodeError(`a field name must be letters, digits or _, found ${JSON.stringify(node.name)}`);
      }
      return { kind: "field", key: "$" + node.name, name: node.name };
    case "number":
      if (typeof node.value !== "number" || !Number.isFinite(node.value)) {
        throw nodeError(`a number node must hold a finite number, found ${JSON.stringify(node.value)}`);
      }
      return { kind: "number", key: text(), value: node.value };
    case "call": {
      const spec = operatorSpec(node.op);
      if (!spec) {
        const near = suggestOperators(String(node.op));
        throw nodeError(`unknown operator '${node.op}'`, near.length ? `did you mean ${near.join(", ")}?` : void 0);
      }
      if (!Array.isArray(node.args) || node.args.length !== spec.params.length) {
        throw nodeError(
          `${spec.name} takes ${spec.params.length} arguments ${operatorSignature(spec)}, found ${Array.isArray(node.args) ? node.args.length : "none"}`
        );
      }
      const inputs = [];
      const params = [];
      spec.params.forEach((param, k) => {
        const arg = node.args[k];
        if (param.kind === "series") {
          inputs.push(planOf(arg, mode));
          return;
        }
        if (arg?.type !== "number") {
          throw nodeError(`argument ${param.name} of ${operatorSignature(spec)} must be a number in ${text()}`);
        }
        const problem = checkParam(spec, param.kind, arg.value, mode);
        if (problem) throw nodeError(`${problem} in ${text()}`);
        params.push(arg.value);
      });
      return { kind: "call", key: text(), spec, inputs, params };
    }
    default:
      throw nodeError(`unknown expression node type ${JSON.stringify(node.type)}`);
  }
}
function safeFormat(node) {
  try {
    return formatExpression(node);
  } catch {
    return JSON.stringify(node);
  }
}

// plugins/data-qlib/src/expr/evaluate.ts
var FAMILY_OF = {
  Slope: "regression",
  Rsquare: "regression",
  Resi: "regression",
  Max: "max",
  IdxMax: "max",
  Min: "min",
  IdxMin: "min",
  Quantile: "order",
  Med: "order",
  Mad: "order",
  Rank: "order"
};
var STAT_OF = {
  Slope: "slope",
  Rsquare: "rsquare",
  Resi: "resi",
  Max: "value",
  Min: "value",
  IdxMax: "position",
  IdxMin: "position",
  Quantile: "quantile",
  Med: "median",
  Mad: "mad",
  Rank: "rank"
};
function sharedKernelKey(plan, mode) {
  const family = FAMILY_OF[plan.spec.name];
  if (!family) return null;
  const N2 = plan.params[0];
  if (!Number.isInteger(N2)) return null;
  if (mode === "qlib" && family === "regression") return null;
  return `${family}|${N2}|${plan.inputs[0].key}`;
}
function outputName(plan) {
  const stat = STAT_OF[plan.spec.name];
  return stat === "quantile" ? `quantile:${plan.params[1]}` : stat;
}
function buildProgram(roots, mode) {
  const steps = [];
  const index = /* @__PURE__ */ new Map();
  const passIndex = /* @__PURE__ */ new Map();
  const passes = [];
  const visit = (p) => {
    const known = index.get(p.key);
    if (known !== void 0) return known;
    const inputs = p.kind === "call" ? p.inputs.map(visit) : [];
    let pass = -1;
    let output = "";
    if (p.kind === "call") {
      const key = sharedKernelKey(p, mode);
      if (key !== null) {
        pass = passIndex.get(key) ?? -1;
        if (pass < 0) {
          pass = passes.length;
          passes.push({ family: FAMILY_OF[p.spec.name], stats: /* @__PURE__ */ new Map() });
          passIndex.set(key, pass);
        }
        output = outputName(p);
        passes[pass].stats.set(output, { stat: STAT_OF[p.spec.name], q: p.params[1] ?? 0.5 });
      }
    }
    steps.push({ plan: p, inputs, pass, output });
    index.set(p.key, steps.length - 1);
    return steps.length - 1;
  };
  const rootSteps = roots.map(visit);
  const readers = new Int32Array(steps.length);
  for (const s of steps) for (const i of s.inputs) readers[i]++;
  const isRoot = new Uint8Array(steps.length);
  for (const r of rootSteps) isRoot[r] = 1;
  return { roots, steps, rootSteps, readers, isRoot, passes };
}
var programs = { default: /* @__PURE__ */ new WeakMap(), qlib: /* @__PURE__ */ new WeakMap() };
function programOf(roots, mode) {
  if (roots.length === 0) return buildProgram(roots, mode);
  let list = programs[mode].get(roots[0]);
  if (!list) {
    list = [];
    programs[mode].set(roots[0], list);
  }
  for (const p of list) {
    if (p.roots.length === roots.length && p.roots.every((r, i) => r === roots[i])) return p;
  }
  const program = buildProgram(roots, mode);
  if (list.length >= 8) list.shift();
  list.push(program);
  return program;
}
var plans = { default: /* @__PURE__ */ new WeakMap(), qlib: /* @__PURE__ */ new WeakMap() };
function plannedOf(node, mode) {
  let plan = plans[mode].get(node);
  if (!plan) {
    plan = planOf(node, mode);
    plans[mode].set(node, plan);
  }
  return plan;
}
function evaluateAll(nodes, input, options = {}) {
  const mode = options.mode ?? "default";
  return evaluatePlans(
    nodes.map((n) => plannedOf(n, mode)),
    input,
    mode
  );
}
function compileExpression(src, options = {}) {
  const mode = options.mode ?? "default";
  const node = parseExpressionWith(src, { mode });
  const plan = planOf(node, mode);
  return {
    node,
    text: formatExpression(node),
    fields: fieldsOf(node),
    evaluate: (input) => evaluatePlans([plan], input, mode)[0]
  };
}
function evaluatePlans(plans2, input, mode) {
  const length = input.length;
  if (!Number.isInteger(length) || length < 0) {
    throw new QonlineError("QONLINE_DATA_INVALID", `a series input needs a whole, non-negative length, found ${length}`);
  }
  const program = programOf(plans2, mode);
  const ctx = {
    mode,
    input,
    length,
    fieldArrays: /* @__PURE__ */ new Set(),
    ranks: /* @__PURE__ */ new Map(),
    passOutputs: program.passes.map(() => null),
    program,
    alloc: mode === "qlib" ? f64Series : newSeries
  };
  const { steps, readers: initialReaders, isRoot } = program;
  const values = new Array(steps.length);
  const readers = initialReaders.slice();
  const kept = /* @__PURE__ */ new Set();
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const args = step.inputs.map((j) => values[j]);
    const value = compute(step, args, ctx);
    values[i] = value;
    if (typeof value !== "number" && args.includes(value)) kept.add(value);
    for (const j of step.inputs) {
      if (--readers[j] > 0 || isRoot[j]) continue;
      const v = values[j];
      values[j] = void 0;
      if (typeof v === "number" || !(v instanceof Float32Array) || kept.has(v) || ctx.fieldArrays.has(v)) continue;
      ctx.ranks.delete(v);
      recycleSeries(v);
    }
  }
  const roots = program.rootSteps;
  const packed = new Float32Array(length * roots.length);
  const results = roots.map((i, r) => {
    const value = values[i];
    const view = packed.subarray(r * length, (r + 1) * length);
    if (typeof value === "number") view.fill(value);
    else view.set(value);
    return view;
  });
  const recycled = /* @__PURE__ */ new Set();
  for (const i of roots) {
    const v = values[i];
    if (typeof v === "number" || !(v instanceof Float32Array) || kept.has(v) || ctx.fieldArrays.has(v) || recycled.has(v)) continue;
    recycled.add(v);
    recycleSeries(v);
  }
  return results;
}
function compute(step, args, ctx) {
  const plan = step.plan;
  switch (plan.kind) {
    case "number":
      return plan.value;
    case "field":
      return loadField(plan.name, ctx);
    case "call":
      break;
  }
  const op = plan.spec.name;
  const [N2 = 0, q = 0.5] = plan.params;
  switch (plan.spec.extent) {
    case "elementwise":
      return elementwise2(op, args, ctx.length);
    case "shift": {
      const x2 = asArray(args[0], ctx.length);
      if (N2 === 0 && ctx.mode === "qlib") return op === "Ref" ? firstValueRows(x2) : minusFirstRows(x2);
      return op === "Ref" ? shiftRows(x2, N2) : deltaRows(x2, N2);
    }
    case "ema": {
      const x2 = infinitiesAsNaN(asArray(args[0], ctx.length));
      if (N2 === 0 && ctx.mode === "qlib") return qlibExpandingEma(x2, ctx.alloc);
      return ewmMean(x2, emaAlpha(N2), ctx.alloc);
    }
    case "rolling":
      break;
  }
  const raw = asArray(args[0], ctx.length);
  const alloc = ctx.alloc;
  if (ctx.mode === "qlib") {
    if (N2 > 0 && N2 < 1 && QLIB_EWM_WINDOW_OPERATORS.has(op)) return ewmMean(infinitiesAsNaN(raw), N2, alloc);
    if (op === "IdxMax" || op === "IdxMin") {
      const x2 = infinitiesAsNaN(raw);
      return qlibArgExtremum(x2, N2, sharedKernel(step, x2, ctx), alloc);
    }
    if (op === "Slope" || op === "Rsquare" || op === "Resi") {
      const stat = op === "Slope" ? "slope" : op === "Rsquare" ? "rsquare" : "resi";
      if (N2 === 0) return qlibExpandingRegression(raw, stat, alloc);
      const out = qlibRollingRegression(raw, N2, stat, alloc);
      if (op === "Rsquare") {
        const std = rollingMoments(infinitiesAsNaN(raw), N2, "std", alloc);
        for (let t = 0; t < out.length; t++) if (Math.abs(std[t]) <= NEAR_CONSTANT_STD) out[t] = NaN;
      }
      return out;
    }
  }
  if (op === "Count") return rollingCount(raw, N2, alloc);
  const x = infinitiesAsNaN(raw);
  if (step.pass >= 0) return sharedKernel(step, x, ctx);
  switch (op) {
    case "Mean":
      return rollingMoments(x, N2, "mean", alloc);
    case "Sum":
      return rollingMoments(x, N2, "sum", alloc);
    case "Std":
      return rollingMoments(x, N2, "std", alloc);
    case "Var":
      return rollingMoments(x, N2, "var", alloc);
    case "Skew":
      return rollingMoments(x, N2, "skew", alloc);
    case "Kurt":
      return rollingMoments(x, N2, "kurt", alloc);
    case "WMA":
      return rollingWma(x, N2, alloc);
    case "Corr":
      return rollingPair(x, infinitiesAsNaN(asArray(args[1], ctx.length)), N2, "corr", alloc);
    case "Cov":
      return rollingPair(x, infinitiesAsNaN(asArray(args[1], ctx.length)), N2, "cov", alloc);
    default:
      throw new QonlineError("QONLINE_INTERNAL", `operator ${op} has no kernel`);
  }
}
function sharedKernel(step, x, ctx) {
  let outputs = ctx.passOutputs[step.pass];
  if (!outputs) {
    outputs = runSharedPass(ctx.program.passes[step.pass], x, step.plan.params[0], ctx);
    ctx.passOutputs[step.pass] = outputs;
  }
  return outputs.get(step.output);
}
function runSharedPass(pass, x, N2, ctx) {
  const outputs = /* @__PURE__ */ new Map();
  switch (pass.family) {
    case "regression": {
      const outs = {};
      for (const [name, o] of pass.stats) outputs.set(name, outs[o.stat] = ctx.alloc(ctx.length));
      rollingRegressionInto(x, N2, outs);
      break;
    }
    case "max":
    case "min": {
      const value = pass.stats.has("value") ? ctx.alloc(ctx.length) : null;
      const position = pass.stats.has("position") ? ctx.mode === "qlib" ? new Float32Array(ctx.length) : ctx.alloc(ctx.length) : null;
      if (value) outputs.set("value", value);
      if (position) outputs.set("position", position);
      rollingExtremumInto(x, N2, pass.family === "max", value, position);
      break;
    }
    case "order": {
      const y = x instanceof Float32Array ? x : Float32Array.from(x);
      const short = rowsOf(N2, ctx.length) <= SMALL_WINDOW;
      const outs = [];
      for (const [name, o] of pass.stats) {
        const out = short ? newSeries(ctx.length) : ctx.alloc(ctx.length);
        outputs.set(name, out);
        outs.push({ stat: o.stat, q: o.q, out });
      }
      rollingOrderStatsInto(y, N2, outs, () => ranksOf(y, ctx));
      break;
    }
  }
  return outputs;
}
function ranksOf(x, ctx) {
  let r = ctx.ranks.get(x);
  if (!r) {
    r = valueRanks(x);
    ctx.ranks.set(x, r);
  }
  return r;
}
function elementwise2(op, args, length) {
  if (op === "If") {
    const [c, a2, b2] = args;
    if (typeof c === "number" && typeof a2 === "number" && typeof b2 === "number") return c !== 0 ? a2 : b2;
    return ifArray(asArray(c, length), asArray(a2, length), asArray(b2, length));
  }
  if (args.length === 1) {
    const a2 = args[0];
    return typeof a2 === "number" ? unaryScalar(op, a2) : unaryArray(op, a2);
  }
  const [a, b] = args;
  if (typeof a === "number" && typeof b === "number") return binaryScalar(op, a, b);
  if (typeof a === "number") return binarySeriesScalar(op, b, a, true);
  if (typeof b === "number") return binarySeriesScalar(op, a, b, false);
  return binaryArray(op, a, b);
}
function asArray(v, length) {
  return typeof v === "number" ? new Float32Array(length).fill(v) : v;
}
function loadField(name, ctx) {
  const values = ctx.input.field(name);
  if (!(values instanceof Float32Array)) {
    throw new QonlineError("QONLINE_DATA_INVALID", `field $${name} must be a Float32Array, found ${describe2(values)}`);
  }
  if (values.length !== ctx.length) {
    throw new QonlineError(
      "QONLINE_DATA_INVALID",
      `field $${name} has ${values.length} values but the series has ${ctx.length} rows`
    );
  }
  ctx.fieldArrays.add(values);
  return values;
}
function describe2(v) {
  return v === null ? "null" : typeof v === "object" ? v.constructor?.name ?? "an object" : typeof v;
}

// plugins/data-qlib/src/expr/window-extent.ts
function windowExtent(node) {
  return extentOf(planOf(node));
}
function extentOf(plan) {
  if (plan.kind !== "call") return { back: 0, forward: 0 };
  let back = 0;
  let forward = 0;
  for (const input of plan.inputs) {
    const e = extentOf(input);
    back = Math.max(back, e.back);
    forward = Math.max(forward, e.forward);
  }
  const N2 = plan.params[0] ?? 0;
  switch (plan.spec.extent) {
    case "elementwise":
      return { back, forward };
    case "shift":
      if (plan.spec.name === "Delta" && N2 === 0) return { back: Infinity, forward };
      return { back: back + Math.max(N2, 0), forward: forward + Math.max(-N2, 0) };
    case "ema":
      return { back: Infinity, forward };
    case "rolling":
      return { back: N2 === 0 ? Infinity : back + N2 - 1, forward };
  }
}

// plugins/data-qlib/src/expr/qlib-extent.ts
function qlibLeftExtent(node) {
  return leftOf(planOf(node, "qlib"));
}
function leftOf(plan) {
  if (plan.kind !== "call") return 0;
  const l = Math.max(0, ...plan.inputs.map(leftOf));
  const N2 = plan.params[0] ?? 0;
  const op = plan.spec.name;
  switch (plan.spec.extent) {
    case "elementwise":
      return l;
    case "shift":
      if (op === "Ref") return N2 === 0 ? l : Math.max(l + N2, l);
      break;
    // Delta is one of Qlib's Rolling operators
    default:
      break;
  }
  if (N2 === 0) return l;
  if (N2 > 0 && N2 < 1) return Math.max(l + Math.trunc(Math.log(1e-6) / Math.log(1 - N2)) - 1, l);
  return Math.max(l + Math.ceil(N2) - 1, l);
}
function qlibRightExtent(node) {
  return rightOf(planOf(node, "qlib"));
}
function rightOf(plan) {
  if (plan.kind !== "call") return 0;
  const r = Math.max(0, ...plan.inputs.map(rightOf));
  const N2 = plan.params[0] ?? 0;
  if (plan.spec.name === "Ref" && N2 !== 0) return Math.max(r - N2, r);
  return r;
}
function qlibStartDependent(node) {
  return dependsOnStart(planOf(node, "qlib"));
}
function dependsOnStart(plan) {
  if (plan.kind !== "call") return false;
  const N2 = plan.params[0] ?? 0;
  const op = plan.spec.name;
  if (op === "Delta" || plan.spec.extent === "ema") return true;
  if (op === "Slope" || op === "Rsquare" || op === "Resi") return true;
  if (N2 === 0 && (op === "Ref" || plan.spec.extent === "rolling")) return true;
  if (plan.spec.extent === "rolling" && N2 > 0 && N2 < 1) return true;
  return plan.inputs.some(dependsOnStart);
}

// plugins/data-qlib/src/storage/paths.ts
import { join } from "node:path";
var RESERVED_PREFIX = "_qlib_";
var RESERVED_NAMES = /* @__PURE__ */ new Set(["CON", "PRN", "AUX", "NUL"]);
for (let i = 0; i < 10; i++) {
  RESERVED_NAMES.add(`COM${i}`);
  RESERVED_NAMES.add(`LPT${i}`);
}
function safeSegment(kind, name) {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new QonlineError("QONLINE_DATA_INVALID", `${kind} ${JSON.stringify(name)} cannot name a file (empty, "." / "..", or contains a path separator)`);
  }
  return name;
}
function codeToFileName(code) {
  return RESERVED_NAMES.has(code.toUpperCase()) ? RESERVED_PREFIX + code : code;
}
function normalizeField(field) {
  return (field.startsWith("$") ? field.slice(1) : field).toLowerCase();
}
function calendarsDir(uri2) {
  return join(uri2, "calendars");
}
function calendarPath(uri2, freq = "day") {
  return join(calendarsDir(uri2), `${safeSegment("frequency", freq.toLowerCase())}.txt`);
}
function instrumentsDir(uri2) {
  return join(uri2, "instruments");
}
function instrumentsPath(uri2, market) {
  return join(uri2, "instruments", `${safeSegment("market", market.toLowerCase())}.txt`);
}
function featuresDir(uri2) {
  return join(uri2, "features");
}
function instrumentFeatureDir(uri2, code) {
  return join(uri2, "features", safeSegment("instrument code", codeToFileName(code).toLowerCase()));
}
function featurePath(uri2, code, field, freq = "day") {
  return join(instrumentFeatureDir(uri2, code), `${safeSegment("field", normalizeField(field))}.${safeSegment("frequency", freq.toLowerCase())}.bin`);
}

// plugins/data-qlib/src/storage/dates.ts
var MIDNIGHT_SUFFIX = /^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?)?$/;
var DAYS_IN_MONTH2 = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isLeap(y) {
  return y % 4 === 0 && y % 100 !== 0 || y % 400 === 0;
}
function digit(s, i) {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1e6;
}
function isValidDay(s) {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digit(s, 0) * 1e3 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const mo = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const max = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH2[mo - 1];
  return d <= max;
}
function normalizeDay(s) {
  const m = MIDNIGHT_SUFFIX.exec(s);
  if (!m) return null;
  return isValidDay(m[1]) ? m[1] : null;
}
function at(file, line) {
  return `${file}:${line}`;
}
function dataError(message, file, line) {
  return new QonlineError("QONLINE_DATA_INVALID", message, file === void 0 ? {} : { location: { file, line } });
}

// plugins/data-qlib/src/storage/calendar-file.ts
import { promises as fsp, readFileSync as readFileSync2 } from "node:fs";
function parseCalendarText(text, file) {
  const dates = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    const day = normalizeDay(raw);
    if (day === null) {
      throw dataError(`${at(file, i + 1)}: expected a date YYYY-MM-DD, found ${JSON.stringify(raw)}`, file, i + 1);
    }
    const prev = dates[dates.length - 1];
    if (prev !== void 0 && day <= prev) {
      throw dataError(`${at(file, i + 1)}: calendar dates must increase strictly, found ${day} after ${prev}`, file, i + 1);
    }
    dates.push(day);
  }
  return dates;
}
function missingCalendar(file, freq) {
  return dataError(`no calendar for frequency "${freq}": ${file} does not exist`, file);
}
async function readCalendar(uri2, freq = "day") {
  const file = calendarPath(uri2, freq);
  let text;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingCalendar(file, freq);
    throw e;
  }
  return parseCalendarText(text, file);
}
function readCalendarSync(uri2, freq = "day") {
  const file = calendarPath(uri2, freq);
  let text;
  try {
    text = readFileSync2(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingCalendar(file, freq);
    throw e;
  }
  return parseCalendarText(text, file);
}

// plugins/data-qlib/src/storage/instruments-file.ts
import { promises as fsp2, readFileSync as readFileSync3 } from "node:fs";
function parseInstrumentsText(text, file) {
  const out = /* @__PURE__ */ new Map();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    if (raw.trim() === "") continue;
    let parts = raw.split("	");
    if (parts.length < 3) parts = raw.trim().split(/\s+/);
    if (parts.length < 3) {
      throw dataError(`${at(file, i + 1)}: expected CODE<TAB>start<TAB>end, found ${JSON.stringify(raw)}`, file, i + 1);
    }
    const code = parts[0].trim();
    const start = normalizeDay(parts[1].trim());
    const end = normalizeDay(parts[2].trim());
    if (code === "") throw dataError(`${at(file, i + 1)}: empty instrument code`, file, i + 1);
    if (start === null || end === null) {
      const bad = start === null ? parts[1] : parts[2];
      throw dataError(`${at(file, i + 1)}: expected dates YYYY-MM-DD, found ${JSON.stringify(bad.trim())}`, file, i + 1);
    }
    if (end < start) throw dataError(`${at(file, i + 1)}: span of ${code} ends (${end}) before it starts (${start})`, file, i + 1);
    let spans = out.get(code);
    if (!spans) {
      spans = [];
      out.set(code, spans);
    }
    spans.push({ start, end });
  }
  for (const spans of out.values()) spans.sort(compareSpans);
  return out;
}
function compareSpans(a, b) {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0;
}
function missingMarket(file, market) {
  return dataError(`no market "${market}": ${file} does not exist`, file);
}
async function readInstruments(uri2, market) {
  const file = instrumentsPath(uri2, market);
  let text;
  try {
    text = await fsp2.readFile(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingMarket(file, market);
    throw e;
  }
  return parseInstrumentsText(text, file);
}
function readInstrumentsSync(uri2, market) {
  const file = instrumentsPath(uri2, market);
  let text;
  try {
    text = readFileSync3(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingMarket(file, market);
    throw e;
  }
  return parseInstrumentsText(text, file);
}

// plugins/data-qlib/src/storage/feature-file.ts
import { promises as fsp3, readFileSync as readFileSync4 } from "node:fs";
import { endianness } from "node:os";
var LITTLE_ENDIAN_HOST = endianness() === "LE";
var MAX_START_INDEX = 1 << 24;
function decodeFeature(bytes, file) {
  if (bytes.byteLength === 0) return null;
  if (bytes.byteLength % 4 !== 0) {
    throw dataError(`${file}: size ${bytes.byteLength} bytes is not a multiple of 4 (expected float32 values)`, file);
  }
  const n = bytes.byteLength / 4;
  let all;
  if (LITTLE_ENDIAN_HOST) {
    all = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength ? new Float32Array(bytes.buffer, 0, n) : new Float32Array(new Uint8Array(bytes).buffer, 0, n);
  } else {
    all = new Float32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) all[i] = view.getFloat32(i * 4, true);
  }
  const start = all[0];
  if (!Number.isInteger(start) || start < 0) {
    throw dataError(`${file}: the first value must be a calendar index (a whole number >= 0), found ${start}`, file);
  }
  return { start, values: all.subarray(1) };
}
function isAbsent(e) {
  const code = e.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
function readFeatureSync(uri2, code, field, freq = "day") {
  const file = featurePath(uri2, code, field, freq);
  let bytes;
  try {
    bytes = readFileSync4(file);
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  return decodeFeature(bytes, file);
}

// plugins/data-qlib/src/storage/binary-data-reader.ts
var BinaryDataReader = class {
  uri;
  freq;
  calendarCache;
  marketCache = /* @__PURE__ */ new Map();
  featureCache = /* @__PURE__ */ new Map();
  constructor(uri2, freq = "day") {
    this.uri = uri2;
    this.freq = freq;
  }
  calendar() {
    if (this.calendarCache === void 0) this.calendarCache = new Calendar(readCalendarSync(this.uri, this.freq), this.freq);
    return this.calendarCache;
  }
  instruments(market) {
    const key = market.toLowerCase();
    let spans = this.marketCache.get(key);
    if (spans === void 0) {
      spans = readInstrumentsSync(this.uri, market);
      this.marketCache.set(key, spans);
    }
    return spans;
  }
  /** One field of one instrument (`close` or `$close`); null when not stored. */
  feature(code, field) {
    const key = `${code.toLowerCase()}\0${normalizeField(field)}`;
    let series = this.featureCache.get(key);
    if (series === void 0) {
      series = readFeatureSync(this.uri, code, field, this.freq);
      this.featureCache.set(key, series);
    }
    return series;
  }
  /**
   * The field aligned to calendar indices [from, to] (inclusive) as a new
   * array, NaN outside the stored range. Handy for frames over a date range.
   */
  featureRange(code, field, from, to) {
    const out = new Float32Array(Math.max(0, to - from + 1)).fill(NaN);
    const s = this.feature(code, field);
    if (s === null) return out;
    const lo = Math.max(from, s.start);
    const hi = Math.min(to, s.start + s.values.length - 1);
    if (hi >= lo) out.set(s.values.subarray(lo - s.start, hi - s.start + 1), lo - from);
    return out;
  }
  clear() {
    this.calendarCache = void 0;
    this.marketCache.clear();
    this.featureCache.clear();
  }
};

// plugins/data-qlib/src/storage/data-version.ts
import { promises as fsp4 } from "node:fs";
import { createHash } from "node:crypto";
import { join as join2 } from "node:path";
async function listOrEmpty(dir) {
  try {
    return (await fsp4.readdir(dir)).filter((n) => !n.startsWith(".")).sort();
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
}
async function computeDataVersion(uri2) {
  const h = createHash("sha256");
  for (const sub of [calendarsDir(uri2), instrumentsDir(uri2)]) {
    for (const name of await listOrEmpty(sub)) {
      h.update(`${sub === calendarsDir(uri2) ? "c" : "i"}/${name}
`);
      h.update(await fsp4.readFile(join2(sub, name)));
    }
  }
  const feat = featuresDir(uri2);
  for (const code of await listOrEmpty(feat)) {
    const dir = join2(feat, code);
    const files = await listOrEmpty(dir).catch(() => []);
    const stats = await Promise.all(files.map((f) => fsp4.stat(join2(dir, f))));
    for (let i = 0; i < files.length; i++) {
      h.update(`f/${code}/${files[i]}:${stats[i].size}:${stats[i].mtimeMs}
`);
    }
  }
  return h.digest("hex").slice(0, 16);
}

// plugins/data-qlib/src/parallel/feature-workers.ts
import { existsSync } from "node:fs";
import { dirname, join as join3 } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

// plugins/data-qlib/src/parallel/feature-protocol.ts
var FEATURE_PROTOCOL_VERSION = 2;

// plugins/data-qlib/src/parallel/feature-workers.ts
var SCRIPT = "data-worker.js";
var IDLE_MS = 1e4;
var BATCHES_PER_WORKER = 8;
var MAX_BATCH = 8;
var MIN_VALUES_PER_THREAD = 4e7;
function defaultFeatureThreads(work, load = machineLoad()) {
  return autoThreads(work, MIN_VALUES_PER_THREAD, 4, load);
}
function locateFeatureWorker() {
  const here = new URL(`./${SCRIPT}`, import.meta.url);
  if (here.protocol !== "file:") return null;
  if (existsSync(fileURLToPath(here))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join3(dir, "dist", SCRIPT);
    if (existsSync(candidate)) return pathToFileURL(candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}
function toError(e) {
  const code = Object.hasOwn(ERROR_CODES, e.code) ? e.code : "QONLINE_INTERNAL";
  return new QonlineError(code, e.message, { details: e.details, hint: e.hint });
}
var FeatureWorkerPool = class {
  constructor(uri2, freq = "day") {
    this.uri = uri2;
    this.freq = freq;
  }
  uri;
  freq;
  workers = [];
  idleTimer;
  queue = Promise.resolve();
  nextId = 1;
  /**
   * Evaluates `jobs` on up to `threads` workers, calling `onResult(jobIndex,
   * result)` on this thread as results arrive. Resolves false, without
   * running anything, when no worker can be started (no built script).
   */
  run(jobs, threads, onResult) {
    const next = this.queue.then(() => this.runNow(jobs, threads, onResult));
    this.queue = next.catch(() => void 0);
    return next;
  }
  async runNow(jobs, threads, onResult) {
    if (jobs.length === 0) return true;
    clearTimeout(this.idleTimer);
    const count = Math.max(1, Math.min(threads, jobs.length));
    if (!await this.ensure(count)) return false;
    const workers = this.workers.slice(0, count);
    const batch = Math.max(1, Math.min(MAX_BATCH, Math.ceil(jobs.length / (count * BATCHES_PER_WORKER))));
    try {
      await new Promise((resolve, reject) => {
        let cursor = 0;
        let active = 0;
        let failed = false;
        const cleanups = [];
        const finish2 = (e) => {
          if (failed) return;
          if (e) failed = true;
          if (e || active === 0 && cursor >= jobs.length) {
            for (const c of cleanups) c();
            if (e) reject(e);
            else resolve();
          }
        };
        const feed = (w) => {
          if (failed || cursor >= jobs.length) return;
          const from = cursor;
          cursor = Math.min(jobs.length, cursor + batch);
          const id = this.nextId++;
          active++;
          const msg = { id, jobs: jobs.slice(from, cursor) };
          const onMessage = (m) => {
            if (!("id" in m) || m.id !== id) return;
            w.off("message", onMessage);
            active--;
            if ("error" in m) return finish2(toError(m.error));
            try {
              m.results.forEach((r, k) => onResult(from + k, r));
            } catch (e) {
              return finish2(e);
            }
            feed(w);
            finish2();
          };
          w.on("message", onMessage);
          cleanups.push(() => w.off("message", onMessage));
          w.postMessage(msg);
        };
        for (const w of workers) {
          const onError = (e) => finish2(new QonlineError("QONLINE_INTERNAL", `a feature worker failed: ${e.message}`, { cause: e }));
          const onExit = (code) => finish2(new QonlineError("QONLINE_INTERNAL", `a feature worker exited with code ${code} while evaluating`));
          w.on("error", onError);
          w.on("exit", onExit);
          cleanups.push(() => {
            w.off("error", onError);
            w.off("exit", onExit);
          });
          w.ref();
        }
        for (const w of workers) feed(w);
      });
    } catch (e) {
      await this.close();
      throw e;
    } finally {
      for (const w of this.workers) w.unref();
      this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
    return true;
  }
  /** Starts workers until `count` run; false when the script is missing or a worker will not start. */
  async ensure(count) {
    if (this.workers.length >= count) return true;
    const script = locateFeatureWorker();
    if (!script) return false;
    const data = { protocol: FEATURE_PROTOCOL_VERSION, uri: this.uri, freq: this.freq };
    const started = Array.from({ length: count - this.workers.length }, () => new Worker(script, { workerData: data }));
    const detach = [];
    try {
      await Promise.all(
        started.map(
          (w) => new Promise((resolve, reject) => {
            const onExit = (code) => reject(new Error(`exited with code ${code}`));
            const onMessage = (m) => {
              if ("ready" in m && m.protocol === FEATURE_PROTOCOL_VERSION) resolve();
              else reject(new Error(`worker speaks protocol ${"protocol" in m ? m.protocol : "?"}, provider ${FEATURE_PROTOCOL_VERSION} (stale dist/? rebuild with npx tsup)`));
            };
            w.on("error", reject);
            w.on("exit", onExit);
            w.once("message", onMessage);
            detach.push(() => {
              w.off("error", reject);
              w.off("exit", onExit);
              w.off("message", onMessage);
            });
          })
        )
      );
    } catch {
      for (const d of detach) d();
      for (const w of started) w.on("error", () => void 0);
      await Promise.all(started.map((w) => w.terminate()));
      return false;
    }
    for (const d of detach) d();
    for (const w of started) {
      w.on("error", () => void 0);
      w.on("exit", () => {
        this.workers = this.workers.filter((x) => x !== w);
      });
      w.unref();
    }
    this.workers.push(...started);
    return true;
  }
  /** Stops the workers (they are restarted on the next run). */
  async close() {
    clearTimeout(this.idleTimer);
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
};

// plugins/data-qlib/src/provider/assemble-frame.ts
var BLOCK_DAYS = 16;
function assembleFrame(dates, a, b, columns, parts) {
  const { rows, rowDate, rowInst, target } = numberRows(a, b, parts);
  const data = columns.map((_, c) => {
    const out = new Float32Array(rows);
    for (let t0 = a; t0 <= b; t0 += BLOCK_DAYS) {
      const t1 = Math.min(b, t0 + BLOCK_DAYS - 1);
      for (let k = 0; k < parts.length; k++) {
        const p = parts[k];
        scatterDays(out, p.cols[c], target[k], Math.max(t0, p.from) - p.from, Math.min(t1, p.to) - p.from, p.from - p.start);
      }
    }
    return out;
  });
  return { rows, dates: dates.slice(a, b + 1), instruments: parts.map((p) => p.code), rowDate, rowInst, columns, data };
}
var RowBlockAssembler = class {
  constructor(dates, a, b, columns, widths, parts) {
    this.dates = dates;
    this.a = a;
    this.b = b;
    this.columns = columns;
    this.widths = widths;
    this.parts = parts;
    const n = numberRows(a, b, parts);
    this.rows = n.rows;
    this.rowDate = n.rowDate;
    this.rowInst = n.rowInst;
    this.target = n.target;
    this.blocks = widths.map((w) => new Float32Array(n.rows * w));
  }
  dates;
  a;
  b;
  columns;
  widths;
  parts;
  rows;
  rowDate;
  rowInst;
  target;
  blocks;
  /** Part k's columns (all request fields, in order), whose series starts at calendar index `start`. */
  write(k, start, cols) {
    const p = this.parts[k];
    let first = 0;
    this.widths.forEach((width, g) => {
      copyRows(this.blocks[g], width, cols.slice(first, first + width), this.target[k], p.from - start);
      first += width;
    });
  }
  result() {
    return {
      rows: this.rows,
      dates: this.dates.slice(this.a, this.b + 1),
      instruments: this.parts.map((p) => p.code),
      rowDate: this.rowDate,
      rowInst: this.rowInst,
      columns: this.columns,
      widths: [...this.widths],
      blocks: this.blocks
    };
  }
};
function copyRows(out, width, cols, target, offset) {
  for (let d = 0; d < target.length; d++) {
    const r = target[d];
    if (r < 0) continue;
    const base = r * width;
    for (let c = 0; c < width; c++) out[base + c] = cols[c][d + offset];
  }
}
function numberRows(a, b, parts) {
  const days = b - a + 1;
  const perDay = new Int32Array(days + 1);
  for (const p of parts) {
    for (let t = p.from; t <= p.to; t++) if (!p.mask || p.mask[t - p.from]) perDay[t - a + 1]++;
  }
  for (let d = 0; d < days; d++) perDay[d + 1] += perDay[d];
  const rows = perDay[days];
  const rowDate = new Int32Array(rows);
  const rowInst = new Int32Array(rows);
  const target = parts.map((p, k) => {
    const d = new Int32Array(p.to - p.from + 1);
    for (let t = p.from; t <= p.to; t++) {
      if (p.mask && !p.mask[t - p.from]) {
        d[t - p.from] = -1;
        continue;
      }
      const r = perDay[t - a]++;
      rowDate[r] = t - a;
      rowInst[r] = k;
      d[t - p.from] = r;
    }
    return d;
  });
  return { rows, rowDate, rowInst, target };
}
function scatterDays(out, src, target, lo, hi, offset) {
  for (let i = lo; i <= hi; i++) {
    const r = target[i];
    if (r >= 0) out[r] = src[i + offset];
  }
}

// plugins/data-qlib/src/provider/lru-cache.ts
var ArrayLruCache = class {
  constructor(budgetBytes) {
    this.budgetBytes = budgetBytes;
  }
  budgetBytes;
  map = /* @__PURE__ */ new Map();
  /** Cached views per underlying buffer. */
  views = /* @__PURE__ */ new Map();
  bytes = 0;
  hits = 0;
  misses = 0;
  /** Bytes of the buffers the cached arrays keep alive. */
  get size() {
    return this.bytes;
  }
  get(key) {
    const v = this.map.get(key);
    if (v === void 0) {
      this.misses++;
      return void 0;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }
  set(key, value) {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.release(old);
    }
    this.map.set(key, value);
    const n = this.views.get(value.buffer) ?? 0;
    if (n === 0) this.bytes += value.buffer.byteLength;
    this.views.set(value.buffer, n + 1);
    while (this.bytes > this.budgetBytes && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value;
      this.map.delete(k);
      this.release(v);
    }
  }
  release(v) {
    const n = this.views.get(v.buffer);
    if (n > 1) this.views.set(v.buffer, n - 1);
    else {
      this.views.delete(v.buffer);
      this.bytes -= v.buffer.byteLength;
    }
  }
  clear() {
    this.map.clear();
    this.views.clear();
    this.bytes = 0;
  }
};

// plugins/data-qlib/src/provider/feature-disk-cache.ts
import { createHash as createHash2 } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync as readFileSync5, renameSync, writeSync, writeFileSync } from "node:fs";
import path from "node:path";
import { threadId } from "node:worker_threads";
var MAGIC = 1346785105;
var TAIL_MAGIC = 1413893969;
var VERSION = 4;
var HEADER = 16;
var ENTRY = 64;
var TAIL_HEADER = 40;
var TAIL_ENTRY = 80;
var PREV_HASH = 12;
var COMPACT_SHARE = 0.5;
var COMPACT_RECORDS = 64;
var FeatureDiskCache = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  keys = /* @__PURE__ */ new Map();
  /** Appended records / whole rewrites (for tests and benchmarks). */
  appends = 0;
  rewrites = 0;
  file(code) {
    return path.join(this.dir, `${code.toLowerCase()}.qofc`);
  }
  /** sha1 of an expression's text, as the hex key of its entry. */
  key(exprText) {
    let k = this.keys.get(exprText);
    if (!k) {
      k = createHash2("sha1").update(exprText).digest("hex");
      this.keys.set(exprText, k);
    }
    return k;
  }
  /** The instrument's pack: its file as it is now (empty when missing or unreadable). */
  open(code) {
    const file = this.file(code);
    const read = readPack(file);
    const { entries } = read;
    let changes = [];
    return {
      get: (exprText) => entries.get(this.key(exprText)) ?? null,
      put: (exprText, e) => {
        const key = this.key(exprText);
        const from = entries.get(key) ?? null;
        const keep = from && e.keep ? Math.min(e.keep, from.length, e.values.length) : 0;
        const entry = { start: e.start, length: e.values.length, inputHash: e.inputHash, values: e.values };
        entries.set(key, entry);
        changes.push({ key, entry, keep, from: keep ? from : null });
      },
      flush: () => {
        if (!changes.length) return;
        const todo = changes;
        changes = [];
        if (read.validEnd > 0 && read.validEnd === read.size && this.append(file, read, todo)) {
          this.appends++;
          return;
        }
        writePack(file, entries);
        this.rewrites++;
        const size = HEADER + entries.size * ENTRY + [...entries.values()].reduce((n, e) => n + e.length * 4, 0);
        Object.assign(read, { validEnd: size, size, baseBytes: size, records: 0 });
      }
    };
  }
  /** Appends one record with `changes`; false when the file should be rewritten instead. */
  append(file, read, changes) {
    const last = /* @__PURE__ */ new Map();
    for (const c of changes) {
      const prev = last.get(c.key);
      if (prev) last.set(c.key, { ...c, keep: 0, from: null });
      else last.set(c.key, c);
    }
    const list = [...last.values()];
    let values = 0;
    for (const c of list) values += c.entry.length - c.keep;
    const payload = list.length * TAIL_ENTRY + values * 4;
    const bytes = TAIL_HEADER + payload;
    const tailBytes = read.size - read.baseBytes + bytes;
    if (tailBytes > read.baseBytes * COMPACT_SHARE || read.records + 1 > COMPACT_RECORDS) return false;
    const buf = Buffer.alloc(bytes);
    buf.writeUInt32LE(TAIL_MAGIC, 0);
    buf.writeUInt32LE(payload, 4);
    buf.writeUInt32LE(list.length, 8);
    let offset = TAIL_HEADER + list.length * TAIL_ENTRY;
    list.forEach((c, i) => {
      const at2 = TAIL_HEADER + i * TAIL_ENTRY;
      buf.write(c.key, at2, 20, "hex");
      buf.writeInt32LE(c.entry.start, at2 + 20);
      buf.writeUInt32LE(c.from ? c.from.length : 0, at2 + 24);
      buf.writeUInt32LE(c.keep, at2 + 28);
      buf.writeUInt32LE(c.entry.length, at2 + 32);
      if (c.from) c.from.inputHash.copy(buf, at2 + 36, 0, PREV_HASH);
      c.entry.inputHash.copy(buf, at2 + 48, 0, 32);
      const tail = c.entry.values.subarray(c.keep);
      Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).copy(buf, offset);
      offset += tail.byteLength;
    });
    createHash2("sha1").update(buf.subarray(TAIL_HEADER)).digest().copy(buf, 16);
    let fd;
    try {
      fd = openSync(file, "a");
    } catch {
      return false;
    }
    try {
      if (fstatSync(fd).size !== read.size) return false;
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    read.size += bytes;
    read.validEnd = read.size;
    read.records++;
    return true;
  }
};
function readPack(file) {
  const entries = /* @__PURE__ */ new Map();
  const none = (size2 = 0) => ({ entries: /* @__PURE__ */ new Map(), validEnd: 0, size: size2, baseBytes: 0, records: 0 });
  let buf;
  try {
    buf = readFileSync5(file);
  } catch {
    return none();
  }
  const size = buf.byteLength;
  if (size < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return none(size);
  const count = buf.readUInt32LE(8);
  const table = HEADER + count * ENTRY;
  if (size < table) return none(size);
  let total = 0;
  for (let i = 0; i < count; i++) total += buf.readUInt32LE(HEADER + i * ENTRY + 28);
  const baseBytes = table + total * 4;
  if (size < baseBytes) return none(size);
  const aligned = buf.byteOffset % 4 === 0;
  const floats = (from, length) => aligned ? new Float32Array(buf.buffer, buf.byteOffset + from, length) : new Float32Array(new Uint8Array(buf.subarray(from, from + length * 4)).buffer);
  let offset = table;
  for (let i = 0; i < count; i++) {
    const at2 = HEADER + i * ENTRY;
    const length = buf.readUInt32LE(at2 + 28);
    entries.set(buf.toString("hex", at2, at2 + 20), { start: buf.readInt32LE(at2 + 24), length, inputHash: buf.subarray(at2 + 32, at2 + 64), values: floats(offset, length) });
    offset += length * 4;
  }
  const pieces = /* @__PURE__ */ new Map();
  let end = baseBytes;
  let records = 0;
  while (end + TAIL_HEADER <= size) {
    if (buf.readUInt32LE(end) !== TAIL_MAGIC) break;
    const payload = buf.readUInt32LE(end + 4);
    const n = buf.readUInt32LE(end + 8);
    const body = end + TAIL_HEADER;
    if (body + payload > size || n * TAIL_ENTRY > payload) break;
    if (!createHash2("sha1").update(buf.subarray(body, body + payload)).digest().equals(buf.subarray(end + 16, end + 36))) break;
    let vat = body + n * TAIL_ENTRY;
    let ok = true;
    const parsed = [];
    for (let i = 0; i < n; i++) {
      const at2 = body + i * TAIL_ENTRY;
      const keep = buf.readUInt32LE(at2 + 28);
      const length = buf.readUInt32LE(at2 + 32);
      if (keep > length) {
        ok = false;
        break;
      }
      parsed.push({ key: buf.toString("hex", at2, at2 + 20), start: buf.readInt32LE(at2 + 20), fromLength: buf.readUInt32LE(at2 + 24), keep, length, prev: buf.subarray(at2 + 36, at2 + 48), hash: buf.subarray(at2 + 48, at2 + 80), at: vat });
      vat += (length - keep) * 4;
    }
    if (!ok || vat !== body + payload) break;
    for (const r of parsed) {
      const cur = entries.get(r.key);
      const tail = floats(r.at, r.length - r.keep);
      if (r.fromLength === 0) {
        entries.set(r.key, { start: r.start, length: r.length, inputHash: r.hash, values: tail });
        pieces.delete(r.key);
        continue;
      }
      if (!cur || cur.start !== r.start || cur.length !== r.fromLength || r.keep > cur.length || !cur.inputHash.subarray(0, PREV_HASH).equals(r.prev)) continue;
      let list = pieces.get(r.key);
      if (!list) pieces.set(r.key, list = [{ keep: 0, values: cur.values }]);
      list.push({ keep: r.keep, values: tail });
      entries.set(r.key, { start: r.start, length: r.length, inputHash: r.hash, values: cur.values });
    }
    end = body + payload;
    records++;
  }
  for (const [key, list] of pieces) {
    const e = entries.get(key);
    let room = 0;
    for (const p of list) room = Math.max(room, p.keep + p.values.length);
    const out = new Float32Array(room);
    for (const p of list) out.set(p.values, p.keep);
    e.values = out.subarray(0, e.length);
  }
  return { entries, validEnd: end, size, baseBytes, records };
}
var writes = 0;
var scratch2 = Buffer.alloc(0);
function writePack(file, entries) {
  let total = 0;
  for (const e of entries.values()) total += e.values.length;
  const table = HEADER + entries.size * ENTRY;
  const size = table + total * 4;
  if (scratch2.byteLength < size) scratch2 = Buffer.allocUnsafe(Math.max(size, 2 * scratch2.byteLength));
  const buf = scratch2.subarray(0, size);
  buf.fill(0, 0, table);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(entries.size, 8);
  let i = 0;
  let offset = table;
  for (const [key, e] of entries) {
    const at2 = HEADER + i++ * ENTRY;
    buf.write(key, at2, 20, "hex");
    buf.writeInt32LE(e.start, at2 + 24);
    buf.writeUInt32LE(e.values.length, at2 + 28);
    e.inputHash.copy(buf, at2 + 32, 0, 32);
    Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).copy(buf, offset);
    offset += e.values.byteLength;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${threadId}-${++writes}`;
  writeFileSync(tmp, buf);
  renameSync(tmp, file);
}
function inputHash(fields2, names, length, fieldDigest = (n, l) => digestOfField(fields2, n, l)) {
  const h = createHash2("sha256");
  for (const n of [...names].sort()) {
    h.update(n);
    const d = fieldDigest(n, length);
    if (d) h.update(d);
  }
  return h.digest();
}
function digestOfField(fields2, name, length) {
  const v = fields2.get(name);
  if (!v) return null;
  return createHash2("sha256").update(new Uint8Array(v.buffer, v.byteOffset, Math.min(length, v.length) * 4)).digest();
}

// plugins/data-qlib/src/provider/instrument-series.ts
function mergeSeries(existing, loaded) {
  const had = existing !== void 0 && existing.length > 0;
  let start = had ? existing.start : Infinity;
  let end = had ? existing.start + existing.length : -Infinity;
  for (const [, v] of loaded) {
    if (v && v.values.length) {
      start = Math.min(start, v.start);
      end = Math.max(end, v.start + v.values.length);
    }
  }
  if (!Number.isFinite(start)) return null;
  const length = end - start;
  const realign = (v, vStart) => {
    if (vStart === start && v.length === length) return v;
    const out = new Float32Array(length).fill(NaN);
    out.set(v.subarray(Math.max(0, start - vStart), Math.max(0, Math.min(v.length, end - vStart))), Math.max(0, vStart - start));
    return out;
  };
  const next = { start, length, fields: /* @__PURE__ */ new Map() };
  if (existing) for (const [f, v] of existing.fields) next.fields.set(f, realign(v, existing.start));
  for (const [f, v] of loaded) next.fields.set(f, v ? realign(v.values, v.start) : new Float32Array(length).fill(NaN));
  return next;
}

// plugins/data-qlib/src/provider/qlib-provider.ts
var QlibDataProvider = class {
  id;
  uri;
  cal;
  ver;
  instrumentsCache = /* @__PURE__ */ new Map();
  raw = /* @__PURE__ */ new Map();
  compiled = /* @__PURE__ */ new Map();
  cache;
  /** Counts expression evaluations (tests check incremental work). */
  evaluations = 0;
  /** Rows evaluated by expressions (full or incremental), for tests and benchmarks. */
  rowsEvaluated = 0;
  disk;
  threads;
  pool;
  /** Threads that evaluated the last `features` request (1 = the calling thread). */
  lastThreads = 1;
  /** Expression semantics (part of every feature cache key). */
  mode;
  constructor(options) {
    this.id = options.id;
    this.mode = options.expressions ?? "default";
    if (this.mode !== "default" && this.mode !== "qlib") {
      throw new QonlineError("QONLINE_CONFIG_INVALID", `expressions must be default or qlib, found ${String(this.mode)}`);
    }
    this.uri = options.uri;
    if (options.threads !== void 0 && (!Number.isInteger(options.threads) || options.threads < 0)) {
      throw new QonlineError("QONLINE_CONFIG_INVALID", `threads must be a whole number >= 0 (0 = automatic), found ${options.threads}`);
    }
    this.threads = options.threads;
    this.cache = new ArrayLruCache((options.cacheMiB ?? 1024) * 1024 * 1024);
    if (options.cacheDir) this.disk = new FeatureDiskCache(options.cacheDir);
  }
  async calendar(freq = "day") {
    if (freq !== "day") throw new QonlineError("QONLINE_DATA_INVALID", `frequency ${freq} is not supported (only day)`);
    if (!this.cal) this.cal = new Calendar(await readCalendar(this.uri, freq), freq);
    return this.cal;
  }
  async instruments(market) {
    let spans = this.instrumentsCache.get(market);
    if (!spans) {
      spans = await readInstruments(this.uri, market);
      this.instrumentsCache.set(market, spans);
    }
    return spans;
  }
  async version() {
    if (!this.ver) this.ver = await computeDataVersion(this.uri);
    return this.ver;
  }
  /** Forgets cached calendar, instruments and features (after the data changed on disk). */
  refresh() {
    this.cal = void 0;
    this.ver = void 0;
    this.instrumentsCache.clear();
    this.raw.clear();
    this.cache.clear();
  }
  compile(expr) {
    let c = this.compiled.get(expr);
    if (!c) {
      c = compileExpression(expr, { mode: this.mode });
      this.compiled.set(expr, c);
    }
    return c;
  }
  async series(code, fields2) {
    const s = this.raw.get(code);
    if (s === null) return null;
    const missing = fields2.filter((f) => !s?.fields.has(f));
    if (!missing.length && s) return s;
    const loaded = missing.map((f) => [f, readFeatureSync(this.uri, code, f)]);
    const next = mergeSeries(s, loaded);
    this.raw.set(code, next);
    return next;
  }
  /**
   * Full-series values of several expressions for one instrument: cached ones
   * are reused, the rest evaluated together so shared sub-expressions are
   * computed once (Alpha158 repeats many).
   */
  async evaluateMany(code, exprs) {
    const compiled = exprs.map((e) => this.compile(e));
    const p = await this.prepare(code, exprs, compiled);
    if (!p) return null;
    if (p.full.length) {
      const values = evaluateAll(
        p.full.map((k) => this.node(exprs[k])),
        { length: p.s.length, field: fieldOf(p.s, code) },
        { mode: this.mode }
      );
      this.store(code, p, compiled, values);
    }
    return { start: p.s.start, values: p.out };
  }
  /**
   * Loads the series and takes what the memory and disk caches hold; `full`
   * lists the expressions left to evaluate.
   */
  async prepare(code, exprs, compiled) {
    const fields2 = [...new Set(compiled.flatMap((c) => c.fields))];
    const s = await this.series(code, fields2);
    if (!s) return null;
    const out = new Array(exprs.length);
    const missing = [];
    compiled.forEach((c, k) => {
      const v = this.cache.get(this.key(code, c));
      if (v && v.length === s.length) out[k] = v;
      else missing.push(k);
    });
    const hashes = /* @__PURE__ */ new Map();
    const digests = /* @__PURE__ */ new Map();
    const fieldDigest = (name, length) => {
      const key = `${name}|${length}`;
      let d = digests.get(key);
      if (d === void 0) digests.set(key, d = digestOfField(s.fields, name, length));
      return d;
    };
    const hashOf = (names, length) => {
      const key = `${names.join(",")}|${length}`;
      let h = hashes.get(key);
      if (!h) hashes.set(key, h = inputHash(s.fields, names, length, fieldDigest));
      return h;
    };
    const full = [];
    const pack = missing.length ? this.disk?.open(code) : void 0;
    const grow = [];
    for (const k of missing) {
      const c = compiled[k];
      const hit = pack?.get(this.keyOf(c.text));
      if (hit && hit.start === s.start && hit.length <= s.length && hit.inputHash.equals(hashOf(c.fields, hit.length))) {
        if (hit.length === s.length) {
          out[k] = hit.values;
          this.cache.set(this.key(code, c), out[k]);
        } else if (Number.isFinite(this.extent(exprs[k]).back)) grow.push({ k, cached: hit.values });
        else full.push(k);
      } else full.push(k);
    }
    if (grow.length) {
      const extended = this.extend(grow.map((g) => ({ cached: g.cached, expr: exprs[g.k] })), s.length, fieldOf(s, code));
      grow.forEach(({ k }, j) => {
        const c = compiled[k];
        const e = extended[j];
        out[k] = e.values;
        pack.put(this.keyOf(c.text), { start: s.start, inputHash: hashOf(c.fields, s.length), values: e.values, keep: e.from });
        this.cache.set(this.key(code, c), out[k]);
      });
    }
    if (!full.length) pack?.flush();
    return { s, out, full, hashOf, pack };
  }
  /** Keeps freshly evaluated values (one per `p.full` entry) in `p.out` and the caches. */
  store(code, p, compiled, values) {
    this.evaluations += p.full.length;
    this.rowsEvaluated += p.full.length * p.s.length;
    p.full.forEach((k, j) => {
      const c = compiled[k];
      p.out[k] = values[j];
      this.cache.set(this.key(code, c), values[j]);
      p.pack?.put(this.keyOf(c.text), { start: p.s.start, inputHash: p.hashOf(c.fields, p.s.length), values: values[j] });
    });
    p.pack?.flush();
  }
  /**
   * `evaluateMany` for every code, on worker threads when the request is
   * large enough (see QlibProviderOptions.threads). Instruments whose raw
   * series this thread has not loaded (and no disk cache needs hashing) are
   * read by the workers themselves; the others go with the rows this thread
   * holds. Either way the workers see the same rows and evaluate the same
   * expressions together, so results equal the single-threaded ones.
   */
  async evaluateCodes(codes2, exprs, calendarLength, onValues) {
    const results = new Array(codes2.length).fill(null);
    const ready = (i) => {
      const r = results[i];
      if (r && onValues) onValues(i, r);
    };
    const wanted = this.threads ?? 0;
    this.lastThreads = 1;
    if (wanted === 1 || codes2.length < 2 || exprs.length === 0) {
      for (let i = 0; i < codes2.length; i++) {
        results[i] = await this.evaluateMany(codes2[i], exprs);
        ready(i);
      }
      return results;
    }
    const compiled = exprs.map((e) => this.compile(e));
    const fields2 = [...new Set(compiled.flatMap((c) => c.fields))].sort();
    const jobs = [];
    const owners = [];
    let work = 0;
    for (let i = 0; i < codes2.length; i++) {
      const code = codes2[i];
      if (this.raw.get(code) === void 0 && !this.disk) {
        jobs.push({ code, exprs, read: fields2, have: null, mode: this.mode });
        owners.push({ index: i, pending: null });
        work += exprs.length * calendarLength;
        continue;
      }
      const p = await this.prepare(code, exprs, compiled);
      if (!p) continue;
      results[i] = { start: p.s.start, values: p.out };
      if (!p.full.length) {
        ready(i);
        continue;
      }
      const need = [...new Set(p.full.flatMap((k) => compiled[k].fields))];
      jobs.push({ code, mode: this.mode, exprs: p.full.map((k) => exprs[k]), read: [], have: { start: p.s.start, length: p.s.length, fields: need.map((f) => [f, p.s.fields.get(f)]) } });
      owners.push({ index: i, pending: p });
      work += p.full.length * p.s.length;
    }
    const threads = wanted === 0 ? defaultFeatureThreads(work) : wanted;
    const redo = [];
    const onResult = (j, r) => {
      const { index, pending } = owners[j];
      const code = codes2[index];
      let p = pending;
      if (!p) {
        const s = mergeSeries(this.raw.get(code) ?? void 0, r.loaded);
        this.raw.set(code, s);
        if (!s) return;
        if (s.start !== r.start || s.length !== r.length) {
          redo.push(index);
          return;
        }
        p = { s, out: new Array(exprs.length), full: exprs.map((_, k) => k), hashOf: () => Buffer.alloc(0) };
        results[index] = { start: s.start, values: p.out };
      }
      this.store(code, p, compiled, r.values);
      ready(index);
    };
    if (threads > 1 && jobs.length > 1) {
      this.pool ??= new FeatureWorkerPool(this.uri);
      if (await this.pool.run(jobs, threads, onResult)) {
        this.lastThreads = Math.min(threads, jobs.length);
        for (const i of redo) {
          results[i] = await this.evaluateMany(codes2[i], exprs);
          ready(i);
        }
        return results;
      }
    }
    for (let j = 0; j < jobs.length; j++) {
      const { index, pending } = owners[j];
      if (!pending) {
        results[index] = await this.evaluateMany(codes2[index], exprs);
        ready(index);
        continue;
      }
      const values = evaluateAll(
        pending.full.map((k) => this.node(exprs[k])),
        { length: pending.s.length, field: fieldOf(pending.s, codes2[index]) },
        { mode: this.mode }
      );
      this.store(codes2[index], pending, compiled, values);
      ready(index);
    }
    return results;
  }
  /** Cache key of an expression's canonical text: the semantics are part of it. */
  keyOf(text) {
    return this.mode === "default" ? text : `${this.mode}:${text}`;
  }
  /**
   * evaluateCodes for a request over calendar rows [a, b]. With Qlib
   * semantics, expressions whose value depends on where loading started are
   * evaluated here over the rows Qlib would load (from `a` minus Qlib's left
   * extent, or the instrument's first row, to `b` plus its right extent),
   * NaN outside them, and cached per load window (memory only); the others
   * go through evaluateCodes.
   */
  async evaluateAt(a, b, codes2, exprs, calendarLength, onValues) {
    const dependent = this.mode === "qlib" ? exprs.map((e) => qlibStartDependent(this.node(e))) : exprs.map(() => false);
    if (!dependent.some(Boolean)) return this.evaluateCodes(codes2, exprs, calendarLength, onValues);
    const plainIdx = exprs.map((_, k) => k).filter((k) => !dependent[k]);
    const sdIdx = exprs.map((_, k) => k).filter((k) => dependent[k]);
    const plain = plainIdx.length ? await this.evaluateCodes(codes2, plainIdx.map((k) => exprs[k]), calendarLength) : codes2.map(() => null);
    const fields2 = [...new Set(sdIdx.flatMap((k) => this.compile(exprs[k]).fields))];
    const results = new Array(codes2.length).fill(null);
    for (let i = 0; i < codes2.length; i++) {
      const code = codes2[i];
      const s = await this.series(code, fields2);
      if (!s) continue;
      const values = new Array(exprs.length);
      let p = plain[i];
      if (plainIdx.length && (!p || p.start !== s.start || (p.values[0]?.length ?? 0) !== s.length)) {
        p = await this.evaluateMany(code, plainIdx.map((k) => exprs[k]));
      }
      plainIdx.forEach((k, j) => {
        values[k] = p.values[j];
      });
      const groups = /* @__PURE__ */ new Map();
      for (const k of sdIdx) {
        const node = this.node(exprs[k]);
        const loadStart = Math.max(s.start, a - qlibLeftExtent(node));
        const loadEnd = b + qlibRightExtent(node);
        const window = `${loadStart}-${loadEnd}`;
        const hit = this.cache.get(`${code}|qlib@${window}:${this.key(code, this.compile(exprs[k]))}`);
        if (hit && hit.length === s.length) values[k] = hit;
        else groups.set(window, [...groups.get(window) ?? [], k]);
      }
      for (const [window, ks] of groups) {
        const [loadStart, loadEnd] = window.split("-").map(Number);
        const offset = loadStart - s.start;
        const field = fieldOf(s, code);
        const n = Math.max(0, Math.min(s.length, loadEnd - s.start + 1) - offset);
        const computed = n ? evaluateAll(
          ks.map((k) => this.node(exprs[k])),
          { length: n, field: (name) => field(name).subarray(offset, offset + n) },
          { mode: this.mode }
        ) : ks.map(() => new Float32Array(0));
        this.evaluations += ks.length;
        this.rowsEvaluated += ks.length * n;
        ks.forEach((k, j) => {
          const out = new Float32Array(s.length).fill(NaN);
          out.set(computed[j], Math.min(offset, s.length));
          values[k] = out;
          this.cache.set(`${code}|qlib@${window}:${this.key(code, this.compile(exprs[k]))}`, out);
        });
      }
      results[i] = { start: s.start, values };
      onValues?.(i, results[i]);
    }
    return results;
  }
  /** Stops the feature worker threads (idle ones also stop by themselves). */
  async close() {
    await this.pool?.close();
  }
  /** The rows an expression reads before and after each row (cached per expression text). */
  extent(expr) {
    let e = this.extents.get(expr);
    if (!e) this.extents.set(expr, e = windowExtent(this.node(expr)));
    return e;
  }
  /**
   * Extends cached values to `length` rows by evaluating only the tails: the
   * rows whose window reaches new data, plus the widest window of history
   * among them. All expressions of one instrument are evaluated together
   * (shared sub-expressions once). Each needs a bounded window (see
   * `extent`). `from`: an expression's first recomputed row (rows before it
   * are `cached`'s).
   */
  extend(items, length, field) {
    let sliceStart = length;
    const froms = items.map(({ cached, expr }) => {
      const { back, forward } = this.extent(expr);
      const from = Math.max(0, cached.length - forward);
      sliceStart = Math.min(sliceStart, Math.max(0, from - back));
      return from;
    });
    const sliced = /* @__PURE__ */ new Map();
    const tails = evaluateAll(
      items.map((it) => this.node(it.expr)),
      {
        length: length - sliceStart,
        field: (n) => {
          let v = sliced.get(n);
          if (!v) sliced.set(n, v = field(n).subarray(sliceStart, length));
          return v;
        }
      },
      { mode: this.mode }
    );
    this.evaluations += items.length;
    this.rowsEvaluated += items.length * (length - sliceStart);
    return items.map(({ cached }, j) => {
      const from = froms[j];
      const out = new Float32Array(length);
      out.set(cached.subarray(0, from));
      out.set(tails[j].subarray(from - sliceStart), from);
      return { values: out, from };
    });
  }
  nodes = /* @__PURE__ */ new Map();
  extents = /* @__PURE__ */ new Map();
  /** A short id per canonical expression text: memory-cache keys stay short (hashing 300 x 159 long keys per request showed in profiles). */
  textIds = /* @__PURE__ */ new Map();
  /** The memory-cache key of an instrument's expression. */
  key(code, c) {
    let id = this.textIds.get(c.text);
    if (id === void 0) this.textIds.set(c.text, id = this.textIds.size);
    return `${code}|${id}`;
  }
  node(expr) {
    let n = this.nodes.get(expr);
    if (!n) {
      n = parseExpressionWith(expr, { mode: this.mode });
      this.nodes.set(expr, n);
    }
    return n;
  }
  async features(request) {
    const r = await this.evaluateRequest(request);
    if (!r) return emptyFrame([...request.fields]);
    return assembleFrame(r.dates, r.a, r.b, [...request.fields], r.parts);
  }
  /**
   * `features` as row-major blocks of `widths` consecutive fields. The rows
   * are laid out first from each instrument's raw series (its calendar
   * range decides its rows), then each instrument's rows are written as
   * soon as its values exist: right after it is evaluated, while its series
   * are still in cache, or as a worker thread delivers it, in parallel with
   * the evaluation of the others.
   */
  async featureRows(request, widths) {
    if (!widths.every((w) => Number.isInteger(w) && w >= 0) || widths.reduce((x, y) => x + y, 0) !== request.fields.length) {
      throw new QonlineError("QONLINE_DATA_INVALID", `featureRows: widths [${widths.join(", ")}] must be whole numbers summing to the ${request.fields.length} fields`);
    }
    const columns = [...request.fields];
    const plan = await this.planRequest(request);
    if (!plan) return { ...emptyFrame(columns), widths: [...widths], blocks: widths.map(() => new Float32Array(0)) };
    if (!columns.length) return new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, []).result();
    const fields2 = [...new Set(columns.flatMap((e) => this.compile(e).fields))];
    const parts = [];
    const partOf = new Int32Array(plan.codes.length).fill(-1);
    for (let i = 0; i < plan.codes.length; i++) {
      const code = plan.codes[i];
      const s = await this.series(code, fields2);
      const rows = s && this.rowsOf(plan, code, s.start, s.length);
      if (!rows) continue;
      partOf[i] = parts.length;
      parts.push(rows);
    }
    const asm = new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, parts);
    await this.evaluateAt(plan.a, plan.b, plan.codes, columns, plan.cal.length, (i, r) => {
      if (partOf[i] >= 0) asm.write(partOf[i], r.start, r.values);
    });
    return asm.result();
  }
  /** A request's calendar rows [a, b] and instruments (sorted; with the market's spans); null when it has none. */
  async planRequest(request) {
    const cal = await this.calendar(request.freq);
    const a = cal.lowerBound(request.start);
    const b = request.end === null ? cal.length - 1 : cal.upperBound(request.end);
    const market = typeof request.instruments === "string" ? request.instruments : null;
    let codes2;
    let spans = null;
    if (market !== null) {
      spans = await this.instruments(market);
      const startDate = cal.dates[a] ?? request.start;
      const endDate = cal.dates[b] ?? request.start;
      codes2 = [...spans.entries()].filter(([, ss]) => ss.some((sp) => sp.start <= endDate && sp.end >= startDate)).map(([c]) => c);
    } else {
      codes2 = [...new Set(request.instruments)];
    }
    codes2.sort();
    if (b < a || !codes2.length) return null;
    return { cal, a, b, codes: codes2, spans };
  }
  /**
   * The rows an instrument whose series covers calendar [start, start +
   * length) contributes: its range cut to [a, b] and, for a market, masked
   * to its membership spans (after computing). Null when none.
   */
  rowsOf(plan, code, start, length) {
    const from = Math.max(plan.a, start);
    const to = Math.min(plan.b, start + length - 1);
    if (to < from) return null;
    let mask = null;
    if (plan.spans) {
      mask = new Uint8Array(to - from + 1);
      for (const sp of plan.spans.get(code) ?? []) {
        const s0 = Math.max(from, plan.cal.lowerBound(sp.start));
        const s1 = Math.min(to, plan.cal.upperBound(sp.end));
        for (let t = s0; t <= s1; t++) mask[t - from] = 1;
      }
    }
    return { code, from, to, mask };
  }
  /** Evaluates a request's fields for its instruments: each instrument's columns and the calendar rows [a, b] it contributes; null when no rows. */
  async evaluateRequest(request) {
    const plan = await this.planRequest(request);
    if (!plan) return null;
    const columns = [...request.fields];
    const evaluated = await this.evaluateAt(plan.a, plan.b, plan.codes, columns, plan.cal.length);
    const parts = [];
    plan.codes.forEach((code, i) => {
      const r = evaluated[i];
      if (!r || !columns.length) return;
      const rows = this.rowsOf(plan, code, r.start, r.values[0]?.length ?? 0);
      if (rows) parts.push({ ...rows, start: r.start, cols: r.values });
    });
    return { dates: plan.cal.dates, a: plan.a, b: plan.b, parts };
  }
};
function fieldOf(s, code) {
  return (name) => {
    const arr = s.fields.get(name);
    if (!arr) throw new QonlineError("QONLINE_DATA_INVALID", `field $${name} was not loaded for ${code}`);
    return arr;
  };
}
function emptyFrame(columns) {
  return { rows: 0, dates: [], instruments: [], rowDate: new Int32Array(0), rowInst: new Int32Array(0), columns, data: columns.map(() => new Float32Array(0)) };
}

// ../../../tmp/fp/prov.ts
var uri = "/tmp/fp/mkt";
var codes = [...new BinaryDataReader(uri).instruments("all").keys()];
var fs = alpha158Fields();
var fields = [...fs.fields, ...DEFAULT_LABEL.fields];
for (let r = 0; r < Number(process.env.REPS ?? 2); r++) {
  const p = new QlibDataProvider({ id: "bench", uri, cacheMiB: 4096, threads: 1 });
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const code of codes) await p.evaluateMany(code, fields);
  const c = process.cpuUsage(c0);
  console.log(`rep ${r}: ${((performance.now() - t0) / 1e3).toFixed(2)} s wall, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`);
}
