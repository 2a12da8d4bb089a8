/**
 * The expression engine: Qlib's feature formulas (`Ref($close, 1)/$close - 1`,
 * `Corr($close, Log($volume+1), 10)`, ...) parsed by a hand-written parser and
 * evaluated over one instrument's rows with Qlib's operator semantics.
 * See docs/expressions.md.
 */
export type { ExprNode } from './ast.js';
export { fieldsOf } from './ast.js';
export { parseExpression, parseExpressionWith } from './parser.js';
export { formatExpression } from './format.js';
export { evaluate, evaluateAll, evaluateSegments, compileExpression, type SeriesInput, type CompiledExpression } from './evaluate.js';
export { windowExtent } from './window-extent.js';
export { OPERATORS } from './operators.js';
export { EXPR_MODES, type ExprMode } from './operators.js';
export { type EvaluateOptions } from './evaluate.js';
export { qlibLeftExtent, qlibRightExtent, qlibStartDependent } from './qlib-extent.js';
