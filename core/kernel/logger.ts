import { createRequire } from 'node:module';
import type { Logger as PinoInstance, pino as PinoFactory } from 'pino';
import type { Logger, LogLevel } from '../contracts/logger.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays clean for --json. */
  write?: (line: string) => void;
  tag?: string;
  /** Start each line with an ISO-8601 UTC timestamp (long-running processes: daemon, worker, serve). */
  timestamps?: boolean;
  /** The clock of the timestamps (tests). */
  now?: () => Date;
}

/** Plain line logger to stderr: `[level] tag: message k=v`, optionally after a timestamp. */
export class ConsoleLogger implements Logger {
  private readonly level: LogLevel;
  private readonly write: (line: string) => void;
  private readonly tag: string;
  private readonly options: ConsoleLoggerOptions;

  constructor(options: ConsoleLoggerOptions = {}) {
    this.options = options;
    this.level = options.level ?? 'info';
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    this.tag = options.tag ?? '';
  }

  private log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const extra = fields
      ? ' ' +
        Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')
      : '';
    const prefix = level === 'info' ? '' : `[${level}] `;
    const time = this.options.timestamps ? `${(this.options.now?.() ?? new Date()).toISOString()} ` : '';
    this.write(`${time}${prefix}${this.tag ? this.tag + ': ' : ''}${msg}${extra}`);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
  child(tag: string): Logger {
    return new ConsoleLogger({ ...this.options, level: this.level, write: this.write, tag: this.tag ? `${this.tag}/${tag}` : tag });
  }
}

/**
 * `--log-format json`: one JSON object per line (pino), e.g.
 * `{"level":"info","time":"2026-12-04T18:00:00.000Z","tag":"daemon","msg":"..."}`,
 * with the fields of the call as keys.
 */
export class JsonLogger implements Logger {
  private readonly pino: PinoInstance;

  constructor(options: { level?: LogLevel; write?: (line: string) => void; now?: () => Date } | { instance: PinoInstance }) {
    if ('instance' in options) {
      this.pino = options.instance;
      return;
    }
    const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
    const now = options.now ?? (() => new Date());
    // Loaded on first use: processes that log as plain lines (a routine) do not pay for pino's module graph.
    const { pino } = createRequire(import.meta.url)('pino') as { pino: typeof PinoFactory };
    this.pino = pino(
      {
        level: options.level ?? 'info',
        base: undefined,
        timestamp: () => `,"time":${JSON.stringify(now().toISOString())}`,
        formatters: { level: (label) => ({ level: label }) },
      },
      // pino writes complete lines ending in a newline; the sink adds its own.
      { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) },
    );
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.pino.debug(fields ?? {}, msg);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.pino.info(fields ?? {}, msg);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.pino.warn(fields ?? {}, msg);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.pino.error(fields ?? {}, msg);
  }
  child(tag: string): Logger {
    const current = (this.pino.bindings() as { tag?: string }).tag;
    return new JsonLogger({ instance: this.pino.child({ tag: current ? `${current}/${tag}` : tag }) });
  }
}

/** Swallows everything (tests, --quiet). */
export class SilentLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }
}
