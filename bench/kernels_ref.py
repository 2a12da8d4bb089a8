"""Anchor process for bench/kernels.ts: XGBoost predict and a numpy (BLAS) ridge solve.

Usage: python3 kernels_ref.py <dir> <rows> <cols> <ridge_rows> <rounds> <max_depth> <min_child_weight>
Reads <dir>/x.f32, y.f32 (rows x cols), rx.f32, ry.f32 (ridge_rows x cols),
fits XGBoost `hist` (1 thread) on x/y, prints a ready line, then answers one
command per stdin line with one JSON line:
  predict -> seconds of booster.inplace_predict on x (1 thread)
  ridge   -> seconds of the float64 normal-equation solve on rx/ry (NumPy's BLAS)
             including the float32 -> float64 copy, missing-value fill and centring
  ridge_blas -> seconds of X'X, X'y and the solve alone (prepared float64 matrix)
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402


def main() -> None:
    d, rows, cols, rrows, rounds, depth, mcw = sys.argv[1:8]
    rows, cols, rrows, rounds, depth = map(int, (rows, cols, rrows, rounds, depth))
    x = np.fromfile(f"{d}/x.f32", dtype="<f4").reshape(rows, cols)
    y = np.fromfile(f"{d}/y.f32", dtype="<f4")
    rx = np.fromfile(f"{d}/rx.f32", dtype="<f4").reshape(rrows, cols)
    ry = np.fromfile(f"{d}/ry.f32", dtype="<f4")
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
    booster.set_param({"nthread": 1})
    trees = booster.trees_to_dataframe()
    leaves = int((trees["Feature"] == "Leaf").sum())
    xc_ready = rx.astype(np.float64)
    xc_ready[np.isnan(xc_ready)] = 0.0
    xc_ready -= xc_ready.mean(axis=0)
    yc_ready = ry.astype(np.float64) - float(ry.mean())
    print(json.dumps({"ready": True, "version": xgb.__version__, "trees": rounds, "leaves": leaves}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "predict":
            t0 = time.perf_counter()
            pred = booster.inplace_predict(x)
            s = time.perf_counter() - t0
            print(json.dumps({"seconds": s, "check": float(pred[:100].sum())}), flush=True)
        elif cmd == "ridge":
            t0 = time.perf_counter()
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
            coef = np.linalg.solve(a, b)
            s = time.perf_counter() - t0
            print(json.dumps({"seconds": s, "check": float(coef.sum())}), flush=True)
        elif cmd == "ridge_blas":
            # Only the BLAS part: X'X and X'y of a float64, NaN-free, centred matrix, then solve.
            t0 = time.perf_counter()
            a = xc_ready.T @ xc_ready
            b = xc_ready.T @ yc_ready
            a[np.diag_indices_from(a)] += 1.0
            coef = np.linalg.solve(a, b)
            s = time.perf_counter() - t0
            print(json.dumps({"seconds": s, "check": float(coef.sum())}), flush=True)
        elif cmd == "quit":
            break


if __name__ == "__main__":
    main()
