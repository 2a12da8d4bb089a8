/**
 * Rewrites the shared store's `?` placeholders as PostgreSQL's `$1, $2, ...`,
 * leaving `?` inside quoted strings, quoted identifiers and comments alone.
 */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // A doubled quote inside a literal reads as two adjacent literals: same result.
      const close = sql.indexOf(c, i + 1);
      const end = close < 0 ? sql.length : close + 1;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '?') {
      out += '$' + ++n;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
