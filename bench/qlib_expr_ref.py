"""
The anchor of `npm run bench -- data`: Alpha158 + label computed the way
Qlib's expression engine computes them (qlib/data/ops.py, re-implemented here
on pandas, not copied): each operator is a pandas call on a float32 series --
rolling(N, min_periods=1).mean/std/sum/max/min/quantile/rank/corr,
rolling(...).apply(argmax + 1, raw=True) for IdxMax/IdxMin as Qlib does --,
every sub-expression computed once per instrument (Qlib's memory cache keyed
by the expression's text), results cast to float32 as Qlib's provider does.
Slope/Rsquare/Resi, which Qlib runs in Cython, are vectorised here with
rolling sums (same definition: x = the row's position in the window, NaN rows
skipped but keeping their position), at least as fast as the Cython loops.

    python3 qlib_expr_ref.py MARKET_DIR EXPRESSIONS_JSON CODE,CODE,...

reads the six fields of the instruments (Qlib's .day.bin layout), says
"ready", then for each line "run" on stdin evaluates every expression for
every instrument and prints {"seconds", "cpu", "values"} as one JSON line.
"""
import json
import math
import os
import re
import sys
import time

import numpy as np
import pandas as pd

FIELDS = ["open", "high", "low", "close", "volume", "vwap"]


def read_bin(path):
    raw = np.fromfile(path, dtype="<f4")
    return int(raw[0]), raw[1:]


def load_instrument(market, code):
    series = {}
    for f in FIELDS:
        p = os.path.join(market, "features", code.lower(), f + ".day.bin")
        if os.path.exists(p):
            series[f] = read_bin(p)
    start = min(s for s, _ in series.values())
    end = max(s + len(v) for s, v in series.values())
    out = {}
    for f, (s, v) in series.items():
        a = np.full(end - start, np.nan, dtype=np.float32)
        a[s - start : s - start + len(v)] = v
        out[f] = pd.Series(a)
    return out


class Node:
    """An expression node; operators build nodes as Qlib's Expression classes do."""

    def __init__(self, key, fn, args):
        self.key, self.fn, self.args = key, fn, args

    def _bin(self, other, name, fn, swap=False):
        o = other if isinstance(other, Node) else const(other)
        a, b = (o, self) if swap else (self, o)
        return Node(f"{name}({a.key},{b.key})", fn, [a, b])

    def __add__(self, o):
        return self._bin(o, "Add", lambda a, b: a + b)

    def __radd__(self, o):
        return self._bin(o, "Add", lambda a, b: a + b, True)

    def __sub__(self, o):
        return self._bin(o, "Sub", lambda a, b: a - b)

    def __rsub__(self, o):
        return self._bin(o, "Sub", lambda a, b: a - b, True)

    def __mul__(self, o):
        return self._bin(o, "Mul", lambda a, b: a * b)

    def __rmul__(self, o):
        return self._bin(o, "Mul", lambda a, b: a * b, True)

    def __truediv__(self, o):
        return self._bin(o, "Div", lambda a, b: a / b)

    def __rtruediv__(self, o):
        return self._bin(o, "Div", lambda a, b: a / b, True)

    def __gt__(self, o):
        return self._bin(o, "Gt", lambda a, b: np.greater(a, b))

    def __lt__(self, o):
        return self._bin(o, "Lt", lambda a, b: np.less(a, b))


def const(v):
    return Node(repr(v), lambda: v, [])


def feature(name):
    return Node("$" + name, None, [name])


def evaluate(node, fields, memo):
    hit = memo.get(node.key)
    if hit is not None:
        return hit
    if node.fn is None:
        value = fields[node.args[0]]
    else:
        value = node.fn(*[evaluate(a, fields, memo) for a in node.args])
    memo[node.key] = value
    return value


def rolling(s, n):
    return s.expanding(min_periods=1) if n == 0 else s.rolling(n, min_periods=1)


def op1(name, fn):
    return lambda x: Node(f"{name}({x.key})", fn, [x])


def win(name, fn):
    return lambda x, n: Node(f"{name}({x.key},{n})", lambda s: fn(s, n), [x])


def _ols(y, n, what):
    y = y.to_numpy(dtype=np.float64)
    ok = ~np.isnan(y)
    i = np.arange(len(y), dtype=np.float64)
    y0 = np.where(ok, y, 0.0)
    m = ok.astype(np.float64)

    def rs(a):
        return rolling(pd.Series(a), n).sum().to_numpy()

    cnt, sx, sy = rs(m), rs(i * m), rs(y0)
    sxx, sxy = rs(i * i * m), rs(i * y0)
    with np.errstate(all="ignore"):
        den = cnt * sxx - sx * sx
        slope = (cnt * sxy - sx * sy) / den
        if what == "slope":
            return pd.Series(slope)
        if what == "resi":
            return pd.Series(y - (slope * i + (sy - slope * sx) / cnt))
        syy = rs(y0 * y0)
        r = (cnt * sxy - sx * sy) / np.sqrt(den * (cnt * syy - sy * sy))
        return pd.Series(r * r)


def _rsquare(s, n):
    out = _ols(s, n, "rsquare")
    out.loc[np.isclose(rolling(s, n).std(), 0, atol=2e-05)] = np.nan
    return out


def _corr(a, b, n):
    res = rolling(a, n).corr(b)
    res.loc[np.isclose(rolling(a, n).std(), 0, atol=2e-05) | np.isclose(rolling(b, n).std(), 0, atol=2e-05)] = np.nan
    return res


def _ref(s, n):
    return s.shift(n)


NS = {
    "Ref": lambda x, n: Node(f"Ref({x.key},{n})", lambda s: _ref(s, n), [x]),
    "Mean": win("Mean", lambda s, n: rolling(s, n).mean()),
    "Sum": win("Sum", lambda s, n: rolling(s, n).sum()),
    "Std": win("Std", lambda s, n: rolling(s, n).std()),
    "Max": win("Max", lambda s, n: rolling(s, n).max()),
    "Min": win("Min", lambda s, n: rolling(s, n).min()),
    "Rank": win("Rank", lambda s, n: rolling(s, n).rank(pct=True)),
    "IdxMax": win("IdxMax", lambda s, n: rolling(s, n).apply(lambda x: x.argmax() + 1, raw=True)),
    "IdxMin": win("IdxMin", lambda s, n: rolling(s, n).apply(lambda x: x.argmin() + 1, raw=True)),
    "Slope": win("Slope", lambda s, n: _ols(s, n, "slope")),
    "Rsquare": win("Rsquare", _rsquare),
    "Resi": win("Resi", lambda s, n: _ols(s, n, "resi")),
    "Quantile": lambda x, n, q: Node(f"Quantile({x.key},{n},{q})", lambda s: rolling(s, n).quantile(q), [x]),
    "Corr": lambda a, b, n: Node(f"Corr({a.key},{b.key},{n})", lambda s, t: _corr(s, t, n), [a, b]),
    "Greater": lambda a, b: (a if isinstance(a, Node) else const(a))._bin(b, "Greater", lambda s, t: np.maximum(s, t)),
    "Less": lambda a, b: (a if isinstance(a, Node) else const(a))._bin(b, "Less", lambda s, t: np.minimum(s, t)),
    "Abs": op1("Abs", np.abs),
    "Log": op1("Log", np.log),
    "F": feature,
}


def parse(expr):
    # As Qlib does: $field -> a feature node, then Python evaluates the operators.
    return eval(re.sub(r"\$(\w+)", r'F("\1")', expr), {"__builtins__": {}}, NS)


def main():
    market, exprs_file, codes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    with open(exprs_file) as f:
        nodes = [parse(e) for e in json.load(f)]
    data = [load_instrument(market, c) for c in codes]
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        values = 0
        for fields in data:
            memo = {}
            for node in nodes:
                v = np.asarray(evaluate(node, fields, memo), dtype=np.float32)
                values += len(v)
        print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "values": values}), flush=True)


if __name__ == "__main__":
    main()
