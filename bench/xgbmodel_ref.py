"""Reference run for bench/xgbmodel.ts: XGBoost 1.x `hist` with the same parameters as XGBModel.

Usage: python3 xgbmodel_ref.py <dir> <train_rows> <valid_rows> <cols> <rounds> <max_depth> <eta>
Reads <dir>/train_x.f32, train_y.f32, valid_x.f32 (float32, row-major), writes
<dir>/xgb_pred.f32 (float32 predictions on valid) and prints one JSON line.
The default base_score (0.5) and one thread, as the bench runs XGBModel.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main() -> None:
    d, n, m, cols, rounds, depth, eta = sys.argv[1:8]
    n, m, cols, rounds, depth = map(int, (n, m, cols, rounds, depth))
    x = np.fromfile(f"{d}/train_x.f32", dtype="<f4").reshape(n, cols)
    y = np.fromfile(f"{d}/train_y.f32", dtype="<f4")
    xv = np.fromfile(f"{d}/valid_x.f32", dtype="<f4").reshape(m, cols)
    params = {"tree_method": "hist", "max_depth": depth, "eta": float(eta), "nthread": 1, "objective": "reg:squarederror"}
    t0 = time.perf_counter()
    c0 = time.process_time()
    dtrain = xgb.DMatrix(x, label=y, nthread=1)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    fit_s = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    pred = booster.predict(xgb.DMatrix(xv, nthread=1))
    pred.astype("<f4").tofile(f"{d}/xgb_pred.f32")
    print(json.dumps({"version": xgb.__version__, "fit_seconds": fit_s, "fit_cpu_seconds": fit_cpu}))


if __name__ == "__main__":
    main()
