"""Anchor process for bench/kernels.ts: XGBoost predict and a NumPy (BLAS) ridge solve.

Usage: python3 kernels_ref.py <dir> <rows> <cols> <ridge_rows> <rounds> <max_depth> <min_child_weight>
Reads <dir>/x.f32, y.f32 (rows x cols), rx.f32, ry.f32 (ridge_rows x cols),
fits XGBoost `hist` (1 thread) on x/y, writes the model to <dir>/xgb.json and
its predictions on x to <dir>/xgb_pred.f32, prints a ready line, then answers
one command per stdin line with one JSON line {"seconds": wall, "cpu": process
CPU seconds (all threads)}:
  predict <n>     -> booster.inplace_predict(x) with nthread n: prediction
                     only, from the float32 C-contiguous array (no DMatrix)
  ridge <n>       -> float64 normal-equation solve on rx/ry with n BLAS
                     threads, including the float32 -> float64 copy,
                     missing-value fill and centring
  ridge_blas <n>  -> X'X, X'y and the solve alone (prepared float64 matrix)
"""
import ctypes
import json
import sys
import time

import numpy as np
import xgboost as xgb


def blas_threads():
    """openblas_set_num_threads of the BLAS NumPy loaded, or None (then the BLAS default)."""
    for name in ("libopenblas.so.0", "libblas.so.3", "libopenblas.so"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_set_num_threads
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    check = fn()
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "check": float(check)}


def main() -> None:
    d, rows, cols, rrows, rounds, depth, mcw = sys.argv[1:8]
    rows, cols, rrows, rounds, depth = map(int, (rows, cols, rrows, rounds, depth))
    x = np.fromfile(f"{d}/x.f32", dtype="<f4").reshape(rows, cols)
    y = np.fromfile(f"{d}/y.f32", dtype="<f4")
    rx = np.fromfile(f"{d}/rx.f32", dtype="<f4").reshape(rrows, cols)
    ry = np.fromfile(f"{d}/ry.f32", dtype="<f4")
    blas = blas_threads()
    params = {
        "tree_method": "hist",
        "grow_policy": "depthwise",
        "max_depth": depth,
        "max_bin": 255,
        "eta": 0.1,
        "lambda": 1.0,
        "min_child_weight": float(mcw),
        "nthread": 1,
        "objective": "reg:squarederror",
        "base_score": float(y.mean()),
    }
    booster = xgb.train(params, xgb.DMatrix(x, label=y, nthread=1), num_boost_round=rounds)
    booster.save_model(f"{d}/xgb.json")
    booster.inplace_predict(x).astype("<f4").tofile(f"{d}/xgb_pred.f32")
    trees = booster.trees_to_dataframe()
    leaves = int((trees["Feature"] == "Leaf").sum())
    xc_ready = rx.astype(np.float64)
    xc_ready[np.isnan(xc_ready)] = 0.0
    xc_ready -= xc_ready.mean(axis=0)
    yc_ready = ry.astype(np.float64) - float(ry.mean())
    config = blas.openblas_get_config().decode() if blas else "unknown BLAS (thread count not settable)"
    print(json.dumps({"ready": True, "version": xgb.__version__, "numpy": np.__version__, "blas": config, "trees": rounds, "leaves": leaves}), flush=True)

    def ridge():
        xd = rx.astype(np.float64)
        yd = ry.astype(np.float64)
        # Missing values -> column means of the finite values (as qonline's ridge).
        fill = np.nanmean(xd, axis=0)
        bad = np.isnan(xd)
        xd[bad] = np.take(fill, np.nonzero(bad)[1])
        mu = xd.mean(axis=0)
        xc = xd - mu
        a = xc.T @ xc
        b = xc.T @ (yd - yd.mean())
        a[np.diag_indices_from(a)] += 1.0
        return np.linalg.solve(a, b).sum()

    def ridge_blas():
        a = xc_ready.T @ xc_ready
        b = xc_ready.T @ yc_ready
        a[np.diag_indices_from(a)] += 1.0
        return np.linalg.solve(a, b).sum()

    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        n = int(parts[1]) if len(parts) > 1 else 1
        if parts[0] == "predict":
            booster.set_param({"nthread": n})
            out = timed(lambda: booster.inplace_predict(x)[:100].sum())
        else:
            if blas:
                blas.openblas_set_num_threads(n)
            out = timed(ridge if parts[0] == "ridge" else ridge_blas)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
