import type { Logger, LogLevel } from '../contracts/logger.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays clean for --json. */
  write?: (line: string) => void;
  tag?: string;
}

/** Plain line logger to stderr: `[level] tag: message k=v`. */
export class ConsoleLogger implements Logger {
  private readonly level: LogLevel;
  private readonly write: (line: string) => void;
  private readonly tag: string;

  constructor(options: ConsoleLoggerOptions = {}) {
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
    this.write(`${prefix}${this.tag ? this.tag + ': ' : ''}${msg}${extra}`);
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
    return new ConsoleLogger({ level: this.level, write: this.write, tag: this.tag ? `${this.tag}/${tag}` : tag });
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
