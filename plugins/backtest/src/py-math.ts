/** Python float semantics the backtest's numbers depend on. */

/** Python's `a // b` for floats (CPython's float_floor_div). */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('float floor division by zero');
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else {
    floordiv = Math.sign(a / b) * 0;
  }
  return floordiv;
}

/** Python's builtin `min(a, b)`: the first unless the second compares smaller (NaN sticks when first). */
export function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}

/** Python's builtin `max(a, b)`. */
export function pyMax(a: number, b: number): number {
  return b > a ? b : a;
}
