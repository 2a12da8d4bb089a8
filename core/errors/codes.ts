/**
 * The one registry of error codes. Every QonlineError carries one of these codes;
 * docs/errors.md is generated from this table and a test keeps them in sync.
 * `exit` is the CLI exit code: 2 for usage/config problems, 1 for runtime failures.
 */
export const ERROR_CODES = {
  QONLINE_USAGE: { exit: 2, summary: 'The command line is wrong (unknown command, flag or missing argument).' },
  QONLINE_CONFIG_PARSE: { exit: 2, summary: 'The YAML file cannot be parsed.' },
  QONLINE_CONFIG_INVALID: { exit: 2, summary: 'The config does not match the pipeline schema or a component schema.' },
  QONLINE_CONFIG_ENV: { exit: 2, summary: 'A ${VAR} reference names an environment variable that is not set.' },
  QONLINE_UNKNOWN_CLASS: { exit: 2, summary: 'A `class:` names no registered component of that kind.' },
  QONLINE_PLUGIN_INVALID: { exit: 2, summary: 'A plugin manifest is malformed, duplicated or needs another plugin-API version.' },
  QONLINE_PLUGIN_LOAD: { exit: 2, summary: 'A plugin listed under `plugins:` cannot be found or imported.' },
  QONLINE_PLUGIN_UNTRUSTED: {
    exit: 2,
    summary: 'A plugin outside the config\'s folder tree and not an installed package was refused (nothing imported); trust it with --trust-plugin PATH or QONLINE_TRUSTED_PLUGINS.',
  },
  QONLINE_DEPENDENCY_MISSING: { exit: 2, summary: 'A component depends on a service that no plugin provides.' },
  QONLINE_STRATEGY_CHANGED: { exit: 2, summary: "A strategy's task template differs from the one stored under its name." },
  QONLINE_EXPRESSION_SYNTAX: { exit: 2, summary: 'A feature expression cannot be parsed.' },
  QONLINE_TRADE_REFUSED: { exit: 2, summary: 'A trading step was refused: out of order (execute before generate), not the next trading date of the account, a non-trading date, no scores for the date, or an unknown or conflicting user.' },
  QONLINE_INPUT_INVALID: { exit: 2, summary: 'An input file given on the command line (e.g. a CSV to import) holds a malformed value; the message names file and line.' },
  QONLINE_DATA_INVALID: { exit: 1, summary: 'Market data is missing or malformed (calendar, instruments, feature files, CSV).' },
  QONLINE_DATE_OUT_OF_RANGE: { exit: 1, summary: 'A date lies outside the trading calendar.' },
  QONLINE_MODEL_INPUT: { exit: 1, summary: 'A model was given inconsistent or invalid arrays or parameters.' },
  QONLINE_MODEL_FILE: { exit: 2, summary: 'A model file to import (XGBoost JSON, LightGBM text) is malformed, uses an unsupported feature, or does not match the strategy it is imported into.' },
  QONLINE_STORE: { exit: 1, summary: 'The store failed (database error, migration, constraint).' },
  QONLINE_STORE_LOCKED: { exit: 1, summary: 'Another process holds the lock on this home or manager.' },
  QONLINE_STATE_CONFLICT: { exit: 1, summary: "The manager's state changed while a step ran (another routine, rollback or `online set` committed first); the step's commit was rolled back." },
  QONLINE_SERVE_LISTEN: { exit: 1, summary: '`qonline serve`, or the `--metrics-port` endpoint of `qonline daemon` or `qonline worker`, cannot listen on its address (the port is in use, or no permission).' },
  QONLINE_NOT_FOUND: { exit: 1, summary: 'A recorder, manager, strategy or task that was asked for does not exist.' },
  QONLINE_TASK_FAILED: { exit: 1, summary: 'A training task failed.' },
  QONLINE_LEASE_LOST: { exit: 1, summary: 'A worker lost the lease of the task it was running; its result was discarded.' },
  QONLINE_COMPONENT_FAILED: { exit: 1, summary: 'A plugin component threw; the message names plugin, component and phase.' },
  QONLINE_INTERNAL: { exit: 1, summary: 'An unexpected internal error.' },
} as const satisfies Record<string, { exit: 1 | 2; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
