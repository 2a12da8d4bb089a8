import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Where in a config file a problem is. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** JSON path inside the config, e.g. `/strategies/0/kwargs/rolling_gen/kwargs/step`. */
  path?: string;
}

export interface QonlineErrorOptions {
  cause?: unknown;
  location?: SourceLocation;
  /** Further problems reported together (config validation reports all at once). */
  details?: string[];
  hint?: string;
  plugin?: string;
  component?: string;
  phase?: string;
}

export class QonlineError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;
  readonly details: string[];
  readonly hint?: string;
  readonly plugin?: string;
  readonly component?: string;
  readonly phase?: string;

  constructor(code: ErrorCode, message: string, options: QonlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QonlineError';
    this.code = code;
    this.location = options.location;
    this.details = options.details ?? [];
    this.hint = options.hint;
    this.plugin = options.plugin;
    this.component = options.component;
    this.phase = options.phase;
  }

  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }
}

export function isQonlineError(e: unknown): e is QonlineError {
  return e instanceof Error && (e as QonlineError).name === 'QonlineError' && typeof (e as QonlineError).code === 'string';
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.file) parts.push(loc.file + (loc.line ? `:${loc.line}${loc.column ? `:${loc.column}` : ''}` : ''));
  if (loc.path !== undefined) parts.push(`at ${loc.path || '/'}`);
  return parts.join(' ');
}

/** Wraps anything thrown by plugin code once, at the kernel boundary. */
export function wrapComponentError(e: unknown, plugin: string, component: string, phase: string): QonlineError {
  if (isQonlineError(e)) {
    if (e.plugin) return e;
    return new QonlineError(e.code, e.message, {
      cause: e.cause ?? e,
      location: e.location,
      details: e.details,
      hint: e.hint,
      plugin,
      component,
      phase,
    });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new QonlineError('QONLINE_COMPONENT_FAILED', `${plugin}/${component} failed during ${phase}: ${msg}`, {
    cause: e,
    plugin,
    component,
    phase,
  });
}
