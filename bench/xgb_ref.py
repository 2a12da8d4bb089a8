"""Reference run for bench/model.ts: XGBoost `hist` on the identical matrix.

Usage: python3 xgb_ref.py <dir> <train_rows> <valid_rows> <cols> <rounds> <max_depth> <max_bin> <eta> <lambda> <nthread> <min_child_weight>
Reads <dir>/train_x.f32, train_y.f32, valid_x.f32 (float32, row-major), writes
<dir>/xgb_pred.f32 (float32 predictions on valid) and prints one JSON line.
min_child_weight is the minimum hessian sum of a leaf: with squared error
every row's hessian is 1, so it is a minimum row count, matched by the bench
to qonline's min_data_in_leaf.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main() -> None:
    d, n, m, cols, rounds, depth, max_bin, eta, lam, nthread, min_child_weight = sys.argv[1:12]
    n, m, cols, rounds, depth, max_bin, nthread = map(int, (n, m, cols, rounds, depth, max_bin, nthread))
    x = np.fromfile(f"{d}/train_x.f32", dtype="<f4").reshape(n, cols)
    y = np.fromfile(f"{d}/train_y.f32", dtype="<f4")
    xv = np.fromfile(f"{d}/valid_x.f32", dtype="<f4").reshape(m, cols)
    params = {
        "tree_method": "hist",
        "grow_policy": "depthwise",
        "max_depth": depth,
        "max_bin": max_bin,
        "eta": float(eta),
        "lambda": float(lam),
        "nthread": nthread,
        "min_child_weight": float(min_child_weight),
        "objective": "reg:squarederror",
        "base_score": float(y.mean()),
    }
    t0 = time.perf_counter()
    c0 = time.process_time()
    dtrain = xgb.DMatrix(x, label=y, nthread=nthread)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    fit_s = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    dvalid = xgb.DMatrix(xv, nthread=nthread)
    t1 = time.perf_counter()
    pred = booster.predict(dvalid)
    pred_s = time.perf_counter() - t1
    pred.astype("<f4").tofile(f"{d}/xgb_pred.f32")
    print(json.dumps({"version": xgb.__version__, "fit_seconds": fit_s, "fit_cpu_seconds": fit_cpu, "predict_seconds": pred_s}))


if __name__ == "__main__":
    main()
