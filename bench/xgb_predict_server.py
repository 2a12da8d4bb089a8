"""Prediction reference for the imported-model case of bench/model.ts.

Usage: python3 xgb_predict_server.py <dir> <train_rows> <rows> <cols> <rounds> <max_depth>
Trains XGBoost (hist, depthwise) on <dir>/train_x.f32 / train_y.f32, saves
<dir>/model.json, writes its predictions on <dir>/x.f32 to <dir>/xgb_pred.f32,
prints one JSON line, then serves timing requests: each stdin line
"predict <nthread>" runs Booster.predict on a fresh DMatrix of x (a fresh
matrix so XGBoost's prediction cache cannot answer) and prints
{"seconds": ...}, the predict call alone timed inside Python.
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb


def main() -> None:
    d = sys.argv[1]
    n, rows, cols, rounds, depth = map(int, sys.argv[2:7])
    x_train = np.fromfile(f"{d}/train_x.f32", dtype="<f4").reshape(n, cols)
    y_train = np.fromfile(f"{d}/train_y.f32", dtype="<f4")
    x = np.fromfile(f"{d}/x.f32", dtype="<f4").reshape(rows, cols)
    params = {"tree_method": "hist", "grow_policy": "depthwise", "max_depth": depth, "eta": 0.1,
              "objective": "reg:squarederror", "base_score": float(y_train.mean()), "nthread": 2, "seed": 1}
    t0 = time.perf_counter()
    if os.path.exists(f"{d}/model.json"):  # a kept directory (QONLINE_BENCH_IMPORT_DIR): reuse the model
        booster = xgb.Booster(model_file=f"{d}/model.json")
    else:
        booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds)
        booster.save_model(f"{d}/model.json")
    fit_s = time.perf_counter() - t0
    booster.predict(xgb.DMatrix(x)).astype("<f4").tofile(f"{d}/xgb_pred.f32")
    print(json.dumps({"version": xgb.__version__, "fit_seconds": fit_s}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] != "predict":
            break
        nthread = int(parts[1])
        booster.set_param({"nthread": nthread})
        dm = xgb.DMatrix(x, nthread=nthread)
        t = time.perf_counter()
        booster.predict(dm)
        print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)


if __name__ == "__main__":
    main()
