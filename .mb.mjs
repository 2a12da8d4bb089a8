// .mb.ts
import { cpSync, rmSync } from "node:fs";

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
  const fields = [];
  const names = [];
  if (config.kbar) {
    for (const [name, expr] of KBAR) {
      names.push(name);
      fields.push(expr);
    }
  }
  if (config.price) {
    const windows = (config.price.windows ?? range5).map(int);
    const features = config.price.feature ?? ["OPEN", "HIGH", "LOW", "CLOSE", "VWAP"];
    for (const feature of features) {
      const field = feature.toLowerCase();
      for (const d of windows) {
        fields.push(d !== 0 ? `Ref($${field}, ${d})/$close` : `$${field}/$close`);
        names.push(`${field.toUpperCase()}${d}`);
      }
    }
  }
  if (config.volume) {
    for (const d of (config.volume.windows ?? range5).map(int)) {
      fields.push(d !== 0 ? `Ref($volume, ${d})/($volume+1e-12)` : "$volume/($volume+1e-12)");
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
        fields.push(expr(d));
        names.push(`${prefix}${d}`);
      }
    }
  }
  return { fields, names };
}
var ALPHA158_DEFAULTS = deepFreeze({
  instruments: "csi500",
  freq: "day",
  processType: "append",
  label: DEFAULT_LABEL,
  inferProcessors: [],
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
  taskThreads: createToken("taskThreads")
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
  QONLINE_SERVE_LISTEN: { exit: 1, summary: "`qonline serve` cannot listen on its address (the port is in use, or no permission)." },
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
  const mode = options.mode ?? "default";
  const memo = parsed[mode];
  let node = memo.get(src);
  if (!node) {
    node = new Parser(src, mode).parseAll();
    if (memo.size >= PARSED_MAX) memo.clear();
    memo.set(src, node);
  }
  return node;
}
var parsed = { default: /* @__PURE__ */ new Map(), qlib: /* @__PURE__ */ new Map() };
var PARSED_MAX = 2e4;
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

// plugins/data-qlib/src/expr/kernels/count.ts
function rollingCount(x, N2) {
  const n = x.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N2, n);
  let cnt = 0;
  for (let t = 0; t < n; t++) {
    if (x[t] === x[t]) cnt++;
    if (t >= rows && x[t - rows] === x[t - rows]) cnt--;
    out[t] = cnt;
  }
  return out;
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
function unaryArray(op, a) {
  const n = a.length;
  const out = new Float32Array(n);
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
  const out = new Float32Array(n);
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
  const out = new Float32Array(n);
  const s = Math.fround(scalar);
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
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  return out;
}

// plugins/data-qlib/src/expr/kernels/extrema.ts
function rollingExtremum(x, N2, stat) {
  const n = x.length;
  const out = new Float32Array(n);
  const rows = rowsOf(N2, n);
  const wantMax = stat === "max" || stat === "idxmax";
  const position = stat === "idxmax" || stat === "idxmin";
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
    if (tail === head) out[t] = NaN;
    else out[t] = position ? deque[head] - start + 1 : x[deque[head]];
  }
  return out;
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
function rollingMoments(x, N2, stat) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (stat === "sum" || stat === "mean") return rollingFirstOrder(x, rows, stat === "mean");
  if (stat === "var" || stat === "std") return rollingSecondOrder(x, rows, stat === "std");
  const out = new Float32Array(n);
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
        const B2 = m2c / cnt;
        rebuild = mass3 > limit * cnt * B2 * Math.sqrt(B2) || mass4 > limit * cnt * B2 * B2;
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
          const B2 = m2c / cnt;
          const C = (s3 - 3 * mu * s2 + 2 * cnt * mu * mu * mu) / cnt;
          out[t] = B2 <= 1e-14 ? NaN : Math.sqrt(cnt * (cnt - 1)) * C / ((cnt - 2) * B2 * Math.sqrt(B2));
        }
        break;
      }
      case "kurt": {
        if (cnt < 4) out[t] = NaN;
        else if (run.identicalSince(windowStart(t, rows))) out[t] = -3;
        else {
          const mu = s1 / cnt;
          const mu2 = mu * mu;
          const B2 = m2c / cnt;
          const D = (s4 - 4 * mu * s3 + 6 * mu2 * s2 - 3 * cnt * mu2 * mu2) / cnt;
          out[t] = B2 <= 1e-14 ? NaN : ((cnt * cnt - 1) * D / (B2 * B2) - 3 * (cnt - 1) * (cnt - 1)) / ((cnt - 2) * (cnt - 3));
        }
        break;
      }
    }
  }
  return out;
}
function rollingFirstOrder(x, rows, mean) {
  const n = x.length;
  const out = new Float32Array(n);
  const run = new IdenticalRun();
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
    if (mean) run.push(t, v);
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
    out[t] = !mean ? cnt * k + s1 : run.identicalSince(windowStart(t, rows)) ? run.value : k + s1 / cnt;
  }
  return out;
}
function rollingSecondOrder(x, rows, std, into) {
  const n = x.length;
  const out = into ?? new Float32Array(n);
  const run = new IdenticalRun();
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
    run.push(t, v);
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
    const variance = cnt < 2 ? NaN : run.identicalSince(windowStart(t, rows)) ? 0 : Math.max(m2c, 0) / (cnt - 1);
    out[t] = std ? Math.sqrt(variance) : variance;
  }
  return out;
}
function rollingStdInto(x, N2, out) {
  return rollingSecondOrder(x, rowsOf(N2, x.length), true, out);
}

// plugins/data-qlib/src/expr/kernels/sorted-window.ts
function countBelow(buf, size, v) {
  let c = 0;
  for (let j = 0; j < size; j++) c += buf[j] < v ? 1 : 0;
  return c;
}
function sortedWindowStat(x, N2, stat, q) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (stat === "rank") return scanRank(x, rows);
  const out = new Float32Array(n);
  const buf = new Float64Array(rows);
  let size = 0;
  for (let t = 0; t < n; t++) {
    const u = t >= rows ? x[t - rows] : NaN;
    const v = x[t];
    if (u === u && v === v) {
      let j = countBelow(buf, size, u);
      const w = v + 0;
      if (w > buf[j]) for (; j + 1 < size && buf[j + 1] < w; j++) buf[j] = buf[j + 1];
      else for (; j > 0 && buf[j - 1] > w; j--) buf[j] = buf[j - 1];
      buf[j] = w;
    } else {
      if (u === u) {
        for (let j = countBelow(buf, size, u) + 1; j < size; j++) buf[j - 1] = buf[j];
        size--;
      }
      if (v === v) {
        let j = size;
        for (; j > 0 && buf[j - 1] > v; j--) buf[j] = buf[j - 1];
        buf[j] = v + 0;
        size++;
      }
    }
    if (size === 0) {
      out[t] = NaN;
      continue;
    }
    switch (stat) {
      case "median": {
        const h = size >> 1;
        out[t] = size % 2 === 1 ? buf[h] : (buf[h - 1] + buf[h]) / 2;
        break;
      }
      case "quantile": {
        const at2 = q * (size - 1);
        const lo = Math.floor(at2);
        const low = buf[lo];
        out[t] = at2 === lo ? low : low + (buf[lo + 1] - low) * (at2 - lo);
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
  return out;
}
function scanRank(x, rows) {
  const n = x.length;
  const out = new Float32Array(n);
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
  return out;
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
function rollingOrderStat(x, N2, stat, q = 0.5, ranks) {
  const n = x.length;
  const rows = rowsOf(N2, n);
  if (rows <= SMALL_WINDOW) return sortedWindowStat(x, N2, stat, q);
  const out = new Float32Array(n);
  const global = ranks ? ranks() : valueRanks(x);
  if (rows >= n) {
    orderStatBlock(x, rows, stat, q, 0, n, 0, global.rank, global.values, out, new IdenticalRun());
    return out;
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
    orderStatBlock(x, rows, stat, q, b0, b1, d0, rank, values.subarray(0, m), out, run);
  }
  return out;
}
function orderStatBlock(x, rows, stat, q, b0, b1, d0, rank, values, out, run) {
  const m = values.length;
  const counts = new Int32Array(m + 1);
  const mad = stat === "mad";
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
      out[t] = NaN;
      continue;
    }
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
function rollingRegression(y, N2, stat, mask = true) {
  const n = y.length;
  const out = new Float32Array(n);
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
      out[t] = NaN;
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
    switch (stat) {
      case "slope":
        out[t] = slope;
        break;
      case "rsquare": {
        const syyc = syy - sy * sy / cnt;
        const std = Math.sqrt(Math.max(syyc, 0) / (cnt - 1));
        out[t] = mask && std <= NEAR_CONSTANT_STD ? NaN : sxyc * sxyc / (sxxc * syyc);
        break;
      }
      case "resi":
        out[t] = v !== v ? NaN : v - k - sy / cnt - slope * (t - base - sx / cnt);
        break;
    }
  }
  return out;
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
function rollingPair(a, b, N2, stat) {
  const n = a.length;
  const out = new Float32Array(n);
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
  const out = new Float32Array(n).fill(NaN);
  for (let t = Math.max(0, N2); t < n && t - N2 < n; t++) out[t] = x[t - N2];
  return out;
}
function deltaRows(x, N2) {
  const n = x.length;
  const out = new Float32Array(n);
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
function rollingWma(x, N2) {
  const n = x.length;
  const out = new Float32Array(n);
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
function ewmMean(x, alpha) {
  const n = x.length;
  const out = new Float32Array(n);
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
  const out = new Float32Array(x.length);
  if (x.length) out.fill(x[0]);
  return out;
}
function minusFirstRows(x) {
  const out = new Float32Array(x.length);
  if (!x.length) return out;
  const first = x[0];
  for (let t = 0; t < x.length; t++) out[t] = x[t] - first;
  return out;
}
function qlibArgExtremum(x, N2, plain) {
  const n = x.length;
  const out = new Float32Array(n);
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
function qlibExpandingEma(x) {
  const n = x.length;
  const out = new Float32Array(n);
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
  const ctx = { mode, input, length, memo: /* @__PURE__ */ new Map(), fieldArrays: /* @__PURE__ */ new Set(), ranks: /* @__PURE__ */ new Map() };
  const handedOut = /* @__PURE__ */ new Set();
  return plans2.map((plan) => {
    const value = evaluatePlan(plan, ctx);
    let result = typeof value === "number" ? new Float32Array(length).fill(value) : value;
    if (ctx.fieldArrays.has(result) || handedOut.has(result)) result = result.slice();
    handedOut.add(result);
    return result;
  });
}
function evaluatePlan(plan, ctx) {
  const known = ctx.memo.get(plan.key);
  if (known !== void 0) return known;
  const value = compute(plan, ctx);
  ctx.memo.set(plan.key, value);
  return value;
}
function compute(plan, ctx) {
  switch (plan.kind) {
    case "number":
      return plan.value;
    case "field":
      return loadField(plan.name, ctx);
    case "call":
      break;
  }
  const args = plan.inputs.map((p) => evaluatePlan(p, ctx));
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
      if (N2 === 0 && ctx.mode === "qlib") return qlibExpandingEma(x2);
      return ewmMean(x2, emaAlpha(N2));
    }
    case "rolling":
      break;
  }
  const raw = asArray(args[0], ctx.length);
  if (ctx.mode === "qlib") {
    if (N2 > 0 && N2 < 1 && QLIB_EWM_WINDOW_OPERATORS.has(op)) return ewmMean(infinitiesAsNaN(raw), N2);
    if (op === "IdxMax" || op === "IdxMin") {
      const x2 = infinitiesAsNaN(raw);
      return qlibArgExtremum(x2, N2, rollingExtremum(x2, N2, op === "IdxMax" ? "idxmax" : "idxmin"));
    }
    if (op === "Rsquare" && N2 === 0) return rollingRegression(infinitiesAsNaN(raw), N2, "rsquare", false);
  }
  if (op === "Count") return rollingCount(raw, N2);
  const x = infinitiesAsNaN(raw);
  switch (op) {
    case "Mean":
      return rollingMoments(x, N2, "mean");
    case "Sum":
      return rollingMoments(x, N2, "sum");
    case "Std":
      return rollingMoments(x, N2, "std");
    case "Var":
      return rollingMoments(x, N2, "var");
    case "Skew":
      return rollingMoments(x, N2, "skew");
    case "Kurt":
      return rollingMoments(x, N2, "kurt");
    case "Max":
      return rollingExtremum(x, N2, "max");
    case "Min":
      return rollingExtremum(x, N2, "min");
    case "IdxMax":
      return rollingExtremum(x, N2, "idxmax");
    case "IdxMin":
      return rollingExtremum(x, N2, "idxmin");
    case "Quantile":
      return rollingOrderStat(x, N2, "quantile", q, () => ranksOf(x, ctx));
    case "Med":
      return rollingOrderStat(x, N2, "median", 0.5, () => ranksOf(x, ctx));
    case "Mad":
      return rollingOrderStat(x, N2, "mad", 0.5, () => ranksOf(x, ctx));
    case "Rank":
      return rollingOrderStat(x, N2, "rank", 0.5, () => ranksOf(x, ctx));
    case "Slope":
      return rollingRegression(x, N2, "slope");
    case "Rsquare":
      return rollingRegression(x, N2, "rsquare");
    case "Resi":
      return rollingRegression(x, N2, "resi");
    case "WMA":
      return rollingWma(x, N2);
    case "Corr":
      return rollingPair(x, infinitiesAsNaN(asArray(args[1], ctx.length)), N2, "corr");
    case "Cov":
      return rollingPair(x, infinitiesAsNaN(asArray(args[1], ctx.length)), N2, "cov");
    default:
      throw new QonlineError("QONLINE_INTERNAL", `operator ${op} has no kernel`);
  }
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
function qlibStartDependent(node) {
  return dependsOnStart(planOf(node, "qlib"));
}
function dependsOnStart(plan) {
  if (plan.kind !== "call") return false;
  const N2 = plan.params[0] ?? 0;
  const op = plan.spec.name;
  if (op === "Delta" || plan.spec.extent === "ema") return true;
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
function calendarsDir(uri) {
  return join(uri, "calendars");
}
function calendarPath(uri, freq = "day") {
  return join(calendarsDir(uri), `${safeSegment("frequency", freq.toLowerCase())}.txt`);
}
function instrumentsDir(uri) {
  return join(uri, "instruments");
}
function instrumentsPath(uri, market) {
  return join(uri, "instruments", `${safeSegment("market", market.toLowerCase())}.txt`);
}
function featuresDir(uri) {
  return join(uri, "features");
}
function instrumentFeatureDir(uri, code) {
  return join(uri, "features", safeSegment("instrument code", codeToFileName(code).toLowerCase()));
}
function featurePath(uri, code, field, freq = "day") {
  return join(instrumentFeatureDir(uri, code), `${safeSegment("field", normalizeField(field))}.${safeSegment("frequency", freq.toLowerCase())}.bin`);
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
import { promises as fsp, readFileSync } from "node:fs";
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
async function readCalendar(uri, freq = "day") {
  const file = calendarPath(uri, freq);
  let text;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingCalendar(file, freq);
    throw e;
  }
  return parseCalendarText(text, file);
}

// plugins/data-qlib/src/storage/instruments-file.ts
import { promises as fsp2, readFileSync as readFileSync2 } from "node:fs";
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
async function readInstruments(uri, market) {
  const file = instrumentsPath(uri, market);
  let text;
  try {
    text = await fsp2.readFile(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") throw missingMarket(file, market);
    throw e;
  }
  return parseInstrumentsText(text, file);
}

// plugins/data-qlib/src/storage/feature-file.ts
import { promises as fsp3, readFileSync as readFileSync3 } from "node:fs";
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
function readFeatureSync(uri, code, field, freq = "day") {
  const file = featurePath(uri, code, field, freq);
  let bytes;
  try {
    bytes = readFileSync3(file);
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  return decodeFeature(bytes, file);
}

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
async function computeDataVersion(uri) {
  const h = createHash("sha256");
  for (const sub of [calendarsDir(uri), instrumentsDir(uri)]) {
    for (const name of await listOrEmpty(sub)) {
      h.update(`${sub === calendarsDir(uri) ? "c" : "i"}/${name}
`);
      h.update(await fsp4.readFile(join2(sub, name)));
    }
  }
  const feat = featuresDir(uri);
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
import { availableParallelism, loadavg } from "node:os";
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
function defaultFeatureThreads(load = loadavg()[0] ?? 0, cores = availableParallelism()) {
  const idle = Math.floor(cores - load + 0.5);
  return Math.min(4, Math.max(1, Math.min(cores, idle)));
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
  constructor(uri, freq = "day") {
    this.uri = uri;
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
        const finish = (e) => {
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
            if ("error" in m) return finish(toError(m.error));
            try {
              m.results.forEach((r, k) => onResult(from + k, r));
            } catch (e) {
              return finish(e);
            }
            feed(w);
            finish();
          };
          w.on("message", onMessage);
          cleanups.push(() => w.off("message", onMessage));
          w.postMessage(msg);
        };
        for (const w of workers) {
          const onError = (e) => finish(new QonlineError("QONLINE_INTERNAL", `a feature worker failed: ${e.message}`, { cause: e }));
          const onExit = (code) => finish(new QonlineError("QONLINE_INTERNAL", `a feature worker exited with code ${code} while evaluating`));
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
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync as readFileSync4, readSync, renameSync, statSync, writeSync, writeFileSync } from "node:fs";
import path from "node:path";
import { threadId } from "node:worker_threads";
var MAGIC = 1346785105;
var RECORD_MAGIC = 1413893969;
var TRAILER_MAGIC = 1162235729;
var VERSION = 4;
var HEADER = 16;
var DESC = 80;
var RECORD_HEADER = 40;
var TRAILER = 16;
var COMPACT_SHARE = 0.5;
var COMPACT_RECORDS = 64;
function hashOfDesc(d) {
  return d.buf.subarray(d.at + 48, d.at + 80);
}
var FeatureDiskCache = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  keys = /* @__PURE__ */ new Map();
  /** Appended records / whole rewrites / whole-file reads (for tests and benchmarks). */
  appends = 0;
  rewrites = 0;
  wholeReads = 0;
  /** Bytes read from cache files. */
  bytesRead = 0;
  file(code) {
    return path.join(this.dir, `${code.toLowerCase()}.qofc`);
  }
  /** sha1 of an expression's text, as the key of its entry (its 20 bytes as a latin1 string). */
  key(exprText) {
    let k = this.keys.get(exprText);
    if (!k) {
      k = createHash2("sha1").update(exprText).digest().toString("latin1");
      this.keys.set(exprText, k);
    }
    return k;
  }
  /** The instrument's pack: its file's index as it is now (empty when missing or unreadable). */
  open(code) {
    const file = this.file(code);
    const read = this.readIndex(file);
    const changes = /* @__PURE__ */ new Map();
    const series = (d) => ({
      start: d.start,
      length: d.length,
      get inputHash() {
        return hashOfDesc(d);
      },
      hasInputs: (hash) => hash.length === 32 && d.buf.compare(hash, 0, 32, d.at + 48, d.at + 80) === 0,
      read: (from = 0) => this.values(file, read, d, from)
    });
    return {
      get: (exprText) => {
        const key = this.key(exprText);
        const c = changes.get(key);
        if (c) {
          return {
            start: c.start,
            length: c.length,
            inputHash: c.inputHash,
            hasInputs: (hash) => hash.equals(c.inputHash),
            read: (from = 0) => {
              if (from >= c.keep) return c.values.slice(from - c.keep);
              const head = c.from && this.values(file, read, c.from, from);
              if (!head) return null;
              const out = new Float32Array(c.length - from);
              out.set(head.subarray(0, c.keep - from));
              out.set(c.values, c.keep - from);
              return out;
            }
          };
        }
        const d = read.index.get(key);
        return d ? series(d) : null;
      },
      put: (exprText, e) => {
        const key = this.key(exprText);
        const keep = e.keep ?? 0;
        const length = e.length ?? keep + e.values.length;
        if (length - keep !== e.values.length) throw new Error(`feature cache: ${e.values.length} values do not fill rows ${keep}..${length} of ${exprText}`);
        const pending = changes.get(key);
        if (pending && keep > pending.keep) {
          if (keep > pending.length) throw new Error(`feature cache: ${exprText} extends ${keep} rows of an entry of ${pending.length}`);
          const merged = new Float32Array(length - pending.keep);
          merged.set(pending.values.subarray(0, keep - pending.keep));
          merged.set(e.values, keep - pending.keep);
          changes.set(key, { start: e.start, length, keep: pending.keep, inputHash: e.inputHash, values: merged, from: pending.from });
          return;
        }
        const from = keep ? pending ? pending.from : read.index.get(key) ?? null : null;
        if (keep && (!from || keep > from.length)) throw new Error(`feature cache: ${exprText} extends an entry that is not in the file`);
        changes.set(key, { start: e.start, length, keep, inputHash: e.inputHash, values: e.values, from });
      },
      flush: () => {
        if (!changes.size) return;
        if (read.validEnd > 0 && read.validEnd === read.size && this.append(file, read, changes)) {
          this.appends++;
        } else {
          this.rewrite(file, read, changes);
          this.rewrites++;
        }
        changes.clear();
      }
    };
  }
  /** The index of a file: from its base, or from the record its trailer points to; a scan of the whole file when that fails. */
  readIndex(file) {
    const none = (size = 0) => ({ index: /* @__PURE__ */ new Map(), validEnd: 0, size, baseBytes: 0, records: 0, ino: -1 });
    let fd;
    try {
      fd = openSync(file, "r");
    } catch {
      return none();
    }
    try {
      const st = fstatSync(fd);
      const size = st.size;
      const ino = st.ino;
      if (size < HEADER) return none(size);
      const head = this.pread(fd, 0, HEADER);
      if (head.readUInt32LE(0) !== MAGIC || head.readUInt32LE(4) !== VERSION) return none(size);
      const count = head.readUInt32LE(8);
      const baseBytes = head.readUInt32LE(12);
      if (baseBytes < HEADER + count * DESC || size < baseBytes) return none(size);
      if (size === baseBytes) {
        const table = this.pread(fd, HEADER, count * DESC);
        return { index: parseDescs(table, count, 0, HEADER), validEnd: size, size, baseBytes, records: 0, ino };
      }
      if (size >= baseBytes + RECORD_HEADER + TRAILER) {
        const trailer = this.pread(fd, size - TRAILER, TRAILER);
        const at2 = trailer.readUInt32LE(4);
        const payload = trailer.readUInt32LE(8);
        if (trailer.readUInt32LE(0) === TRAILER_MAGIC && at2 >= baseBytes && at2 + RECORD_HEADER + payload + TRAILER === size) {
          const rec = this.pread(fd, at2, RECORD_HEADER + payload);
          const index = parseRecord(rec, 0, at2, payload);
          if (index && rec.readUInt32LE(12) === trailer.readUInt32LE(12)) return { index, validEnd: size, size, baseBytes, records: rec.readUInt32LE(12), ino };
        }
      }
    } finally {
      closeSync(fd);
    }
    return this.scan(file);
  }
  /** Reads the whole file and walks base and records in order. */
  scan(file) {
    let buf;
    let ino;
    try {
      const fd = openSync(file, "r");
      try {
        ino = fstatSync(fd).ino;
        buf = readFileSync4(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      return { index: /* @__PURE__ */ new Map(), validEnd: 0, size: 0, baseBytes: 0, records: 0, ino: -1 };
    }
    this.wholeReads++;
    this.bytesRead += buf.byteLength;
    const size = buf.byteLength;
    const none = { index: /* @__PURE__ */ new Map(), validEnd: 0, size, baseBytes: 0, records: 0, ino };
    if (size < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return none;
    const count = buf.readUInt32LE(8);
    const baseBytes = buf.readUInt32LE(12);
    if (baseBytes < HEADER + count * DESC || size < baseBytes) return none;
    let index = parseDescs(buf, count, HEADER, HEADER);
    let end = baseBytes;
    let records = 0;
    while (end + RECORD_HEADER + TRAILER <= size) {
      const payload = buf.readUInt32LE(end + 4);
      const recEnd = end + RECORD_HEADER + payload + TRAILER;
      if (recEnd > size) break;
      const next = parseRecord(buf, end, end, payload);
      const trailer = recEnd - TRAILER;
      if (!next || buf.readUInt32LE(trailer) !== TRAILER_MAGIC || buf.readUInt32LE(trailer + 4) !== end || buf.readUInt32LE(trailer + 8) !== payload || buf.readUInt32LE(trailer + 12) !== buf.readUInt32LE(end + 12)) break;
      index = next;
      records = buf.readUInt32LE(end + 12);
      end = recEnd;
    }
    return { index, validEnd: end, size, baseBytes, records, ino, whole: buf };
  }
  pread(fd, position, length, into) {
    const buf = into ? Buffer.from(into.buffer, into.byteOffset, into.byteLength) : Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) throw new Error("short read");
      done += n;
    }
    this.bytesRead += length;
    return buf;
  }
  /**
   * Rows [from, d.length) of an entry: the newest piece first, then older
   * ones through `prev`. Rows within the newest piece are read with one
   * positioned read; older rows need the whole file (read once per pack).
   * Null when the chain leaves the valid part of the file.
   */
  values(file, read, d, from) {
    from = Math.max(0, Math.min(from, d.length));
    const out = new Float32Array(d.length - from);
    if (!out.length) return out;
    if (!read.whole && from >= d.keep) {
      if (d.piece + (d.length - d.keep) * 4 > read.validEnd) return null;
      let fd;
      try {
        fd = openSync(file, "r");
      } catch {
        return null;
      }
      try {
        if (fstatSync(fd).ino !== read.ino) return null;
        this.pread(fd, d.piece + (from - d.keep) * 4, out.byteLength, new Uint8Array(out.buffer));
      } catch {
        return null;
      } finally {
        closeSync(fd);
      }
      return out;
    }
    if (!read.whole) {
      const scanned = this.scan(file);
      if (scanned.ino !== read.ino || scanned.validEnd < read.validEnd || !scanned.whole) return null;
      read.whole = scanned.whole;
    }
    const buf = read.whole;
    const bytes = new Uint8Array(out.buffer);
    let hi = d.length;
    let cur = d;
    for (let hops = 0; hi > from; hops++) {
      if (!cur || hops > COMPACT_RECORDS + 1) return null;
      const lo = Math.max(from, cur.keep);
      if (lo < hi) {
        const at2 = cur.piece + (lo - cur.keep) * 4;
        if (cur.length < hi || at2 + (hi - lo) * 4 > read.validEnd) return null;
        bytes.set(buf.subarray(at2, at2 + (hi - lo) * 4), (lo - from) * 4);
      }
      hi = lo;
      if (hi > from) cur = cur.prev && cur.prev + DESC <= read.validEnd ? descAt(buf, cur.prev) : null;
    }
    return out;
  }
  /** Appends one record (a snapshot of the index plus the changed values); false when the file should be rewritten instead. */
  append(file, read, changes) {
    const keys = /* @__PURE__ */ new Set([...read.index.keys(), ...changes.keys()]);
    let values = 0;
    for (const c of changes.values()) values += c.values.length;
    const payload = keys.size * DESC + values * 4;
    const bytes = RECORD_HEADER + payload + TRAILER;
    if (read.size - read.baseBytes + bytes > read.baseBytes * COMPACT_SHARE || read.records + 1 > COMPACT_RECORDS) return false;
    const at2 = read.size;
    const seq = read.records + 1;
    const buf = Buffer.allocUnsafe(bytes);
    buf.fill(0, 36, RECORD_HEADER);
    buf.writeUInt32LE(RECORD_MAGIC, 0);
    buf.writeUInt32LE(payload, 4);
    buf.writeUInt32LE(keys.size, 8);
    buf.writeUInt32LE(seq, 12);
    const next = /* @__PURE__ */ new Map();
    let i = 0;
    let offset = RECORD_HEADER + keys.size * DESC;
    for (const key of keys) {
      const ref = at2 + RECORD_HEADER + i++ * DESC;
      const c = changes.get(key);
      let d;
      if (c) {
        d = { start: c.start, length: c.length, keep: c.keep, piece: at2 + offset, prev: c.from ? c.from.ref : 0, ref, buf, at: ref - at2 };
        Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength).copy(buf, offset);
        offset += c.values.byteLength;
        writeDesc(buf, ref - at2, key, d, c.inputHash);
      } else {
        const old = read.index.get(key);
        old.buf.copy(buf, ref - at2, old.at, old.at + DESC);
        d = { ...old, ref, buf, at: ref - at2 };
      }
      next.set(key, d);
    }
    checksum(buf, 0, payload).copy(buf, 16);
    buf.writeUInt32LE(TRAILER_MAGIC, bytes - TRAILER);
    buf.writeUInt32LE(at2, bytes - TRAILER + 4);
    buf.writeUInt32LE(payload, bytes - TRAILER + 8);
    buf.writeUInt32LE(seq, bytes - TRAILER + 12);
    let fd;
    try {
      fd = openSync(file, "a");
    } catch {
      return false;
    }
    try {
      const st = fstatSync(fd);
      if (st.size !== read.size || st.ino !== read.ino) return false;
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    Object.assign(read, { index: next, size: read.size + bytes, validEnd: read.size + bytes, records: seq });
    if (read.whole) read.whole = Buffer.concat([read.whole.subarray(0, at2), buf]);
    return true;
  }
  /** Replaces the file with a new base holding every entry whole (entries whose older rows cannot be read are dropped). */
  rewrite(file, read, changes) {
    const whole = /* @__PURE__ */ new Map();
    for (const [key, d] of read.index) {
      if (changes.has(key)) continue;
      const v = this.values(file, read, d, 0);
      if (v) whole.set(key, { start: d.start, inputHash: Buffer.from(hashOfDesc(d)), values: v });
    }
    for (const [key, c] of changes) {
      if (!c.keep) {
        whole.set(key, c);
        continue;
      }
      const head = c.from && this.values(file, read, c.from, 0);
      if (!head) continue;
      const v = new Float32Array(c.length);
      v.set(head.subarray(0, c.keep));
      v.set(c.values, c.keep);
      whole.set(key, { start: c.start, inputHash: c.inputHash, values: v });
    }
    const { size, index, ino } = writePack(file, whole);
    Object.assign(read, { index, size, validEnd: size, baseBytes: size, records: 0, ino, whole: void 0 });
  }
};
function descAt(buf, at2) {
  return {
    start: buf.readInt32LE(at2 + 24),
    length: buf.readUInt32LE(at2 + 28),
    keep: buf.readUInt32LE(at2 + 32),
    piece: buf.readUInt32LE(at2 + 36),
    prev: buf.readUInt32LE(at2 + 40),
    ref: at2,
    buf,
    at: at2
  };
}
function writeDesc(buf, at2, key, d, inputHash2) {
  buf.write(key, at2, 20, "latin1");
  buf.writeUInt32LE(0, at2 + 20);
  buf.writeInt32LE(d.start, at2 + 24);
  buf.writeUInt32LE(d.length, at2 + 28);
  buf.writeUInt32LE(d.keep, at2 + 32);
  buf.writeUInt32LE(d.piece, at2 + 36);
  buf.writeUInt32LE(d.prev, at2 + 40);
  buf.writeUInt32LE(0, at2 + 44);
  inputHash2.copy(buf, at2 + 48, 0, 32);
}
function parseDescs(buf, count, at2, fileAt) {
  const index = /* @__PURE__ */ new Map();
  for (let i = 0; i < count; i++) {
    const d = descAt(buf, at2 + i * DESC);
    if (d.keep > d.length) continue;
    d.ref = fileAt + i * DESC;
    index.set(buf.toString("latin1", at2 + i * DESC, at2 + i * DESC + 20), d);
  }
  return index;
}
function parseRecord(buf, at2, fileAt, payload) {
  if (at2 + RECORD_HEADER + payload > buf.byteLength || buf.readUInt32LE(at2) !== RECORD_MAGIC || buf.readUInt32LE(at2 + 4) !== payload) return null;
  const count = buf.readUInt32LE(at2 + 8);
  if (count * DESC > payload) return null;
  if (!checksum(buf, at2, payload).equals(buf.subarray(at2 + 16, at2 + 36))) return null;
  return parseDescs(buf, count, at2 + RECORD_HEADER, fileAt + RECORD_HEADER);
}
function checksum(buf, at2, payload) {
  return createHash2("sha1").update(buf.subarray(at2, at2 + 16)).update(buf.subarray(at2 + RECORD_HEADER, at2 + RECORD_HEADER + payload)).digest();
}
var writes = 0;
var scratch2 = Buffer.alloc(0);
function writePack(file, entries) {
  let total = 0;
  for (const e of entries.values()) total += e.values.length;
  const table = HEADER + entries.size * DESC;
  const size = table + total * 4;
  if (scratch2.byteLength < size) scratch2 = Buffer.allocUnsafe(Math.max(size, 2 * scratch2.byteLength));
  const buf = scratch2.subarray(0, size);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(entries.size, 8);
  buf.writeUInt32LE(size, 12);
  const index = /* @__PURE__ */ new Map();
  const tableCopy = Buffer.allocUnsafe(table);
  let i = 0;
  let offset = table;
  for (const [key, e] of entries) {
    const at2 = HEADER + i++ * DESC;
    const d = { start: e.start, length: e.values.length, keep: 0, piece: offset, prev: 0 };
    writeDesc(buf, at2, key, d, e.inputHash);
    index.set(key, { ...d, ref: at2, buf: tableCopy, at: at2 });
    Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).copy(buf, offset);
    offset += e.values.byteLength;
  }
  buf.copy(tableCopy, 0, 0, table);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${threadId}-${++writes}`;
  writeFileSync(tmp, buf);
  const ino = statSync(tmp).ino;
  renameSync(tmp, file);
  return { size, index, ino };
}
function inputHash(fields, names, length, fieldDigest = (n, l) => digestOfField(fields, n, l)) {
  const h = createHash2("sha256");
  for (const n of [...names].sort()) {
    h.update(n);
    const d = fieldDigest(n, length);
    if (d) h.update(d);
  }
  return h.digest();
}
function digestOfField(fields, name, length) {
  const v = fields.get(name);
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
var PARALLEL_MIN_VALUES = 3e7;
var ROWS_MEMO_VALUES = 4 << 20;
var ROWS_MEMO_ENTRIES = 4;
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
    this.slots.clear();
    this.packs.clear();
    this.inputHashes.clear();
    this.rowsMemo.clear();
  }
  compile(expr) {
    let c = this.compiled.get(expr);
    if (!c) {
      c = compileExpression(expr, { mode: this.mode });
      this.compiled.set(expr, c);
    }
    return c;
  }
  async series(code, fields) {
    const s = this.raw.get(code);
    if (s === null) return null;
    const missing = fields.filter((f) => !s?.fields.has(f));
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
  async evaluateMany(code, exprs, fromRow = 0) {
    const compiled = exprs.map((e) => this.compile(e));
    const p = await this.prepare(code, exprs, compiled, fromRow);
    if (!p) return null;
    if (p.full.length) {
      const values = evaluateAll(
        p.full.map((k) => this.node(exprs[k])),
        { length: p.s.length, field: fieldOf(p.s, code) },
        { mode: this.mode }
      );
      this.store(code, p, compiled, values);
    }
    return { start: p.s.start + p.lo, values: p.out };
  }
  /**
   * Loads the series and takes what the memory and disk caches hold for
   * rows from calendar row `fromRow` on; `full` lists the expressions left
   * to evaluate.
   */
  async prepare(code, exprs, compiled, fromRow = 0) {
    let fields = this.fieldsOfExprs.get(exprs);
    if (!fields) this.fieldsOfExprs.set(exprs, fields = [...new Set(compiled.flatMap((c) => c.fields))]);
    const s = await this.series(code, fields);
    if (!s) return null;
    const lo = Math.min(s.length, Math.max(0, fromRow - s.start));
    const out = new Array(exprs.length);
    const missing = [];
    const slots = this.slotsOf(code);
    compiled.forEach((c, k) => {
      const id = this.textId(c);
      const key = slots.keys[id] ??= `${code}|${id}`;
      const v = this.cache.get(key);
      const vFrom = v ? slots.from[id] ?? 0 : 0;
      if (v && vFrom <= lo && vFrom + v.length === s.length) out[k] = vFrom === lo ? v : v.subarray(lo - vFrom);
      else missing.push(k);
    });
    let memo = this.inputHashes.get(code);
    if (!memo || memo.series !== s) this.inputHashes.set(code, memo = { series: s, digests: /* @__PURE__ */ new Map(), hashes: /* @__PURE__ */ new Map() });
    const { digests, hashes } = memo;
    const fieldDigest = (name, length) => {
      const key = `${name}|${length}`;
      let d = digests.get(key);
      if (d === void 0) digests.set(key, d = digestOfField(s.fields, name, length));
      return d;
    };
    const hashOf = (names, length) => {
      let byNames = hashes.get(length);
      if (!byNames) hashes.set(length, byNames = /* @__PURE__ */ new Map());
      const key = names.length === 1 ? names[0] : names.join(",");
      let h = byNames.get(key);
      if (!h) byNames.set(key, h = inputHash(s.fields, names, length, fieldDigest));
      return h;
    };
    const full = [];
    let pack = missing.length ? this.packs.get(code) : void 0;
    if (missing.length && !pack && this.disk) this.packs.set(code, pack = this.disk.open(code));
    const grow = [];
    for (const k of missing) {
      const c = compiled[k];
      const hit = pack?.get(this.keyOf(c.text));
      if (hit && hit.start === s.start && hit.length <= s.length && hit.hasInputs(hashOf(c.fields, hit.length))) {
        if (hit.length === s.length) {
          const v = hit.read(lo);
          if (v) {
            out[k] = v;
            this.remember(code, c, v, lo);
          } else full.push(k);
          continue;
        }
        const { forward, back } = this.extent(exprs[k]);
        const from = Math.max(0, hit.length - forward);
        if (!Number.isFinite(back)) full.push(k);
        else if (lo >= from) grow.push({ k, cachedLength: hit.length, head: null });
        else {
          const head = hit.read(lo);
          if (head) grow.push({ k, cachedLength: hit.length, head: head.subarray(0, from - lo) });
          else full.push(k);
        }
      } else full.push(k);
    }
    if (grow.length) {
      const extended = this.extend(grow.map((g) => ({ cachedLength: g.cachedLength, expr: exprs[g.k] })), s.length, fieldOf(s, code));
      grow.forEach(({ k, head }, j) => {
        const c = compiled[k];
        const { tail, from } = extended[j];
        let v;
        if (lo >= from) v = lo === from ? tail : tail.subarray(lo - from);
        else {
          v = new Float32Array(s.length - lo);
          v.set(head);
          v.set(tail, from - lo);
        }
        out[k] = v;
        pack.put(this.keyOf(c.text), { start: s.start, inputHash: hashOf(c.fields, s.length), values: tail, keep: from, length: s.length });
        this.remember(code, c, v, lo);
      });
    }
    if (!full.length) pack?.flush();
    return { s, lo, out, full, hashOf, pack };
  }
  /** Keeps an expression's rows [from, length) in the memory cache. */
  remember(code, c, values, from) {
    const slots = this.slotsOf(code);
    const id = this.textId(c);
    slots.from[id] = from;
    this.cache.set(slots.keys[id] ??= `${code}|${id}`, values);
  }
  /** Keeps freshly evaluated values (one per `p.full` entry) in `p.out` and the caches. */
  store(code, p, compiled, values) {
    this.evaluations += p.full.length;
    this.rowsEvaluated += p.full.length * p.s.length;
    p.full.forEach((k, j) => {
      const c = compiled[k];
      p.out[k] = p.lo ? values[j].subarray(p.lo) : values[j];
      this.remember(code, c, values[j], 0);
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
  async evaluateCodes(codes, exprs, calendarLength, onValues, fromRow = 0) {
    const results = new Array(codes.length).fill(null);
    const ready = (i) => {
      const r = results[i];
      if (r && onValues) onValues(i, r);
    };
    const wanted = this.threads ?? 0;
    this.lastThreads = 1;
    if (wanted === 1 || codes.length < 2 || exprs.length === 0) {
      for (let i = 0; i < codes.length; i++) {
        results[i] = await this.evaluateMany(codes[i], exprs, fromRow);
        ready(i);
      }
      return results;
    }
    const compiled = exprs.map((e) => this.compile(e));
    const fields = [...new Set(compiled.flatMap((c) => c.fields))].sort();
    const jobs = [];
    const owners = [];
    let work = 0;
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (this.raw.get(code) === void 0 && !this.disk) {
        jobs.push({ code, exprs, read: fields, have: null, mode: this.mode });
        owners.push({ index: i, pending: null });
        work += exprs.length * calendarLength;
        continue;
      }
      const p = await this.prepare(code, exprs, compiled, fromRow);
      if (!p) continue;
      results[i] = { start: p.s.start + p.lo, values: p.out };
      if (!p.full.length) {
        ready(i);
        continue;
      }
      const need = [...new Set(p.full.flatMap((k) => compiled[k].fields))];
      jobs.push({ code, mode: this.mode, exprs: p.full.map((k) => exprs[k]), read: [], have: { start: p.s.start, length: p.s.length, fields: need.map((f) => [f, p.s.fields.get(f)]) } });
      owners.push({ index: i, pending: p });
      work += p.full.length * p.s.length;
    }
    const threads = wanted === 0 ? work >= PARALLEL_MIN_VALUES ? defaultFeatureThreads() : 1 : wanted;
    const redo = [];
    const onResult = (j, r) => {
      const { index, pending } = owners[j];
      const code = codes[index];
      let p = pending;
      if (!p) {
        const s = mergeSeries(this.raw.get(code) ?? void 0, r.loaded);
        this.raw.set(code, s);
        if (!s) return;
        if (s.start !== r.start || s.length !== r.length) {
          redo.push(index);
          return;
        }
        const lo = Math.min(s.length, Math.max(0, fromRow - s.start));
        p = { s, lo, out: new Array(exprs.length), full: exprs.map((_, k) => k), hashOf: () => Buffer.alloc(0) };
        results[index] = { start: s.start + lo, values: p.out };
      }
      this.store(code, p, compiled, r.values);
      ready(index);
    };
    if (threads > 1 && jobs.length > 1) {
      this.pool ??= new FeatureWorkerPool(this.uri);
      if (await this.pool.run(jobs, threads, onResult)) {
        this.lastThreads = Math.min(threads, jobs.length);
        for (const i of redo) {
          results[i] = await this.evaluateMany(codes[i], exprs, fromRow);
          ready(i);
        }
        return results;
      }
    }
    for (let j = 0; j < jobs.length; j++) {
      const { index, pending } = owners[j];
      if (!pending) {
        results[index] = await this.evaluateMany(codes[index], exprs, fromRow);
        ready(index);
        continue;
      }
      const values = evaluateAll(
        pending.full.map((k) => this.node(exprs[k])),
        { length: pending.s.length, field: fieldOf(pending.s, codes[index]) },
        { mode: this.mode }
      );
      this.store(codes[index], pending, compiled, values);
      ready(index);
    }
    return results;
  }
  /** Cache key of an expression's canonical text: the semantics are part of it. */
  keyOf(text) {
    return this.mode === "default" ? text : `${this.mode}:${text}`;
  }
  /**
   * evaluateCodes for a request starting at calendar row `a`. With Qlib
   * semantics, expressions whose value depends on where loading started are
   * evaluated here over the rows Qlib would load (from `a` minus Qlib's
   * extent, or the instrument's first row), NaN before them, and cached per
   * load start (memory only); the others go through evaluateCodes.
   */
  async evaluateAt(a, codes, exprs, calendarLength, onValues) {
    const dependent = this.mode === "qlib" ? exprs.map((e) => qlibStartDependent(this.node(e))) : exprs.map(() => false);
    if (!dependent.some(Boolean)) return this.evaluateCodes(codes, exprs, calendarLength, onValues, a);
    const plainIdx = exprs.map((_, k) => k).filter((k) => !dependent[k]);
    const sdIdx = exprs.map((_, k) => k).filter((k) => dependent[k]);
    const plain = plainIdx.length ? await this.evaluateCodes(codes, plainIdx.map((k) => exprs[k]), calendarLength) : codes.map(() => null);
    const fields = [...new Set(sdIdx.flatMap((k) => this.compile(exprs[k]).fields))];
    const results = new Array(codes.length).fill(null);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      const s = await this.series(code, fields);
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
        const loadStart = Math.max(s.start, a - qlibLeftExtent(this.node(exprs[k])));
        const hit = this.cache.get(`${code}|qlib@${loadStart}:${this.key(code, this.compile(exprs[k]))}`);
        if (hit && hit.length === s.length) values[k] = hit;
        else groups.set(loadStart, [...groups.get(loadStart) ?? [], k]);
      }
      for (const [loadStart, ks] of groups) {
        const offset = loadStart - s.start;
        const field = fieldOf(s, code);
        const n = Math.max(0, s.length - offset);
        const computed = n ? evaluateAll(
          ks.map((k) => this.node(exprs[k])),
          { length: n, field: (name) => field(name).subarray(offset) },
          { mode: this.mode }
        ) : ks.map(() => new Float32Array(0));
        this.evaluations += ks.length;
        this.rowsEvaluated += ks.length * n;
        ks.forEach((k, j) => {
          const out = new Float32Array(s.length).fill(NaN);
          out.set(computed[j], Math.min(offset, s.length));
          values[k] = out;
          this.cache.set(`${code}|qlib@${loadStart}:${this.key(code, this.compile(exprs[k]))}`, out);
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
   * `extent`). Returns each expression's rows [from, length), `from` its
   * first recomputed row (rows before it are the cached ones).
   */
  extend(items, length, field) {
    const froms = [];
    const groups = /* @__PURE__ */ new Map();
    items.forEach(({ cachedLength, expr }, j) => {
      const { back, forward } = this.extent(expr);
      const from = Math.max(0, cachedLength - forward);
      froms.push(from);
      const sliceStart = Math.max(0, from - back);
      const g = groups.get(sliceStart);
      if (g) g.push(j);
      else groups.set(sliceStart, [j]);
    });
    const out = new Array(items.length);
    for (const [sliceStart, members] of groups) {
      const sliced = /* @__PURE__ */ new Map();
      const tails = evaluateAll(
        members.map((j) => this.node(items[j].expr)),
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
      this.rowsEvaluated += members.length * (length - sliceStart);
      members.forEach((j, m) => {
        out[j] = { tail: tails[m].subarray(froms[j] - sliceStart), from: froms[j] };
      });
    }
    this.evaluations += items.length;
    return out;
  }
  nodes = /* @__PURE__ */ new Map();
  /** The disk cache's pack of each instrument met so far. */
  packs = /* @__PURE__ */ new Map();
  /** The raw fields a request's expressions read (by the request's expression list). */
  fieldsOfExprs = /* @__PURE__ */ new WeakMap();
  /** The last few small `featureRows` results, by request (copies). */
  rowsMemo = /* @__PURE__ */ new Map();
  /** Per instrument: digests of its raw fields and input hashes of field sets, by length (valid while its series is). */
  inputHashes = /* @__PURE__ */ new Map();
  /**
   * Per instrument and expression id: the memory-cache key (the same string
   * each time: no concatenation and hashing per lookup) and the first series
   * row the cached array holds (a late request caches only its rows).
   */
  slots = /* @__PURE__ */ new Map();
  slotsOf(code) {
    let s = this.slots.get(code);
    if (!s) this.slots.set(code, s = { keys: [], from: [] });
    return s;
  }
  textId(c) {
    let id = this.textIds.get(c.text);
    if (id === void 0) this.textIds.set(c.text, id = this.textIds.size);
    return id;
  }
  extents = /* @__PURE__ */ new Map();
  /** A short id per canonical expression text: memory-cache keys stay short (hashing 300 x 159 long keys per request showed in profiles). */
  textIds = /* @__PURE__ */ new Map();
  /** The memory-cache key of an instrument's expression. */
  key(code, c) {
    const id = this.textId(c);
    return this.slotsOf(code).keys[id] ??= `${code}|${id}`;
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
    const memoKey = JSON.stringify([request.instruments, request.fields, request.start, request.end, request.freq ?? null, widths]);
    const memo = this.rowsMemo.get(memoKey);
    if (memo) return copyRowBlocks(memo);
    const result = await this.assembleRows(request, widths);
    let values = 0;
    for (const b of result.blocks) values += b.length;
    if (values <= ROWS_MEMO_VALUES) {
      if (this.rowsMemo.size >= ROWS_MEMO_ENTRIES) this.rowsMemo.delete(this.rowsMemo.keys().next().value);
      this.rowsMemo.set(memoKey, copyRowBlocks(result));
    }
    return result;
  }
  async assembleRows(request, widths) {
    const columns = [...request.fields];
    const plan = await this.planRequest(request);
    if (!plan) return { ...emptyFrame(columns), widths: [...widths], blocks: widths.map(() => new Float32Array(0)) };
    if (!columns.length) return new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, []).result();
    const fields = [...new Set(columns.flatMap((e) => this.compile(e).fields))];
    const parts = [];
    const partOf = new Int32Array(plan.codes.length).fill(-1);
    for (let i = 0; i < plan.codes.length; i++) {
      const code = plan.codes[i];
      const s = await this.series(code, fields);
      const rows = s && this.rowsOf(plan, code, s.start, s.length);
      if (!rows) continue;
      partOf[i] = parts.length;
      parts.push(rows);
    }
    const asm = new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, parts);
    await this.evaluateAt(plan.a, plan.codes, columns, plan.cal.length, (i, r) => {
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
    let codes;
    let spans = null;
    if (market !== null) {
      spans = await this.instruments(market);
      const startDate = cal.dates[a] ?? request.start;
      const endDate = cal.dates[b] ?? request.start;
      codes = [...spans.entries()].filter(([, ss]) => ss.some((sp) => sp.start <= endDate && sp.end >= startDate)).map(([c]) => c);
    } else {
      codes = [...new Set(request.instruments)];
    }
    codes.sort();
    if (b < a || !codes.length) return null;
    return { cal, a, b, codes, spans };
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
    const evaluated = await this.evaluateAt(plan.a, plan.codes, columns, plan.cal.length);
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
function copyRowBlocks(f) {
  return { ...f, dates: [...f.dates], instruments: [...f.instruments], rowDate: f.rowDate.slice(), rowInst: f.rowInst.slice(), columns: [...f.columns], widths: [...f.widths], blocks: f.blocks.map((b) => b.slice()) };
}
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

// .mb.ts
var B = "/tmp/qonline-bench-routine-QOAXOj";
var F10 = ["$close/Ref($close, 1) - 1", "$close/Ref($close, 5) - 1", "$close/Ref($close, 20) - 1", "Mean($close, 5)/$close", "Mean($close, 20)/$close", "Std($close/Ref($close, 1) - 1, 20)", "Mean($volume, 5)/($volume + 1e-12)", "($high - $low)/$close", "Max($high, 20)/$close", "Min($low, 20)/$close"];
var LABEL = "Ref($close, -2)/Ref($close, -1) - 1";
var a158 = alpha158Fields().fields;
for (let rep = 0; rep < Number(process.env.REPS ?? 3); rep++) {
  rmSync("/tmp/mbcache", { recursive: true, force: true });
  cpSync(`${B}/home-base/cache/features/bench`, "/tmp/mbcache", { recursive: true });
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  const p = new QlibDataProvider({ id: "bench", uri: `${B}/d1`, cacheDir: "/tmp/mbcache" });
  const req = (fields) => ({ instruments: "csi300", fields: [...fields, LABEL], start: "2022-01-04", end: "2022-01-04" });
  const r1 = await p.featureRows(req(F10), [10, 1]);
  const r2 = await p.featureRows(req(a158), [158, 1]);
  const r3 = await p.featureRows(req(a158), [158, 1]);
  const c = process.cpuUsage(t0);
  console.log(`rows ${r1.rows} ${r2.rows} ${r3.rows}: cpu ${((c.user + c.system) / 1e3).toFixed(0)} ms, wall ${(performance.now() - w0).toFixed(0)} ms, evaluated rows ${p.rowsEvaluated}`);
}
