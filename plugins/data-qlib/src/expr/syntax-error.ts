import { QonlineError } from '../../../../core/index.js';

/**
 * A QONLINE_EXPRESSION_SYNTAX error naming the 1-based column, with the
 * expression and a caret under the column in `details`.
 */
export function syntaxError(src: string, column: number, message: string, hint?: string): QonlineError {
  const shown = src.replace(/[\r\n\t]/g, ' ');
  return new QonlineError('QONLINE_EXPRESSION_SYNTAX', `${message} at column ${column} of expression "${shown}"`, {
    location: { column },
    details: [shown, ' '.repeat(Math.max(0, column - 1)) + '^'],
    hint,
  });
}

/** An invalid AST handed to evaluate/format directly (no source text to point into). */
export function nodeError(message: string, hint?: string): QonlineError {
  return new QonlineError('QONLINE_EXPRESSION_SYNTAX', message, { hint });
}
