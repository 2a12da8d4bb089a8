import { QonlineError } from '../../../../core/index.js';

/**
 * A QONLINE_EXPRESSION_SYNTAX error naming the 1-based column, with the
 * expression and a caret under the column in `details`.
 */
export function syntaxError(src: string, column: number, message: string, hint?: string): QonlineError {
  let shown = src.replace(/[\r\n\t]/g, ' ');
  let caret = column - 1;
  // A long expression is shown as an excerpt around the column (messages stay readable).
  if (shown.length > SHOWN_MAX) {
    const from = Math.max(0, Math.min(caret - SHOWN_MAX / 2, shown.length - SHOWN_MAX));
    shown = (from > 0 ? '...' : '') + shown.slice(from, from + SHOWN_MAX) + (from + SHOWN_MAX < shown.length ? '...' : '');
    caret = caret - from + (from > 0 ? 3 : 0);
  }
  return new QonlineError('QONLINE_EXPRESSION_SYNTAX', `${message} at column ${column} of expression "${shown}"`, {
    location: { column },
    details: [shown, ' '.repeat(Math.max(0, caret)) + '^'],
    hint,
  });
}

const SHOWN_MAX = 80;

/** An invalid AST handed to evaluate/format directly (no source text to point into). */
export function nodeError(message: string, hint?: string): QonlineError {
  return new QonlineError('QONLINE_EXPRESSION_SYNTAX', message, { hint });
}
