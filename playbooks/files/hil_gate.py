#!/usr/bin/env python3
"""hil's behaviour gate, run ON the vehicle after the self-tests (Python 3.8, standard library and
hil/measure/{significance,regression}.py, which the playbook puts beside it as bin/hil_measure.zip).

Checks, on the frames of the reference clip:
  reference    every output of the new engine within --tolerance of the signed manifest's reference outputs
  latency      p99 of the new engine's inference time within the vehicle's budget (--latency-budget-ms)
  agreement    (with an incumbent) the new engine's predicted class agrees with the incumbent's on at least
               1 - --agreement-margin of the frames
  latency_ni   (with an incumbent) the new engine is not slower than the incumbent measured the same way:
               the self-tests alternate new and incumbent rounds (--new/--old, one frames file per round)
               and `hil history`'s latency rule (hil.measure.regression.judge_latency: Mann-Whitney U,
               p < --alpha, median ratio >= 1 + --latency-margin and >= --latency-slack-ms slower, with
               the noisy-baseline lookback) compares the new engine's warm frames with the incumbent's
               rounds. A `regression` fails; slower but `noisy` (inconclusive) measures another pair
               of rounds (--more: JSON [[new_cmd, new_out, old_cmd, old_out], ...]) and judges again;
               still inconclusive after them fails, saying so; not slower passes.
Prints one line `HIL_GATE {json}` with every figure and verdict; exit 0 when all pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "hil_measure.zip")  # shipped beside the gate (hil.fleet.vehicle.measure_bundle)
if os.path.exists(BUNDLE):
    sys.path.insert(0, BUNDLE)

from hil.measure.regression import Observation, Thresholds, judge_latency  # noqa: E402


def frames(path: str) -> tuple[list[list[float]], list[object], list[float]]:
    outputs, predicted, latency = [], [], []
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            if "summary" in record:
                continue
            outputs.append([float(v) for v in record.get("output", [])])
            predicted.append(record.get("predicted"))
            if not record.get("warmup"):
                latency.append(float(record["infer_ms"]))
    return outputs, predicted, latency


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def latency_check(new: list[str], old: list[str], args: argparse.Namespace) -> dict[str, object]:
    """judge_latency of the new engine's pooled warm frames against the incumbent's rounds."""
    pooled = [v for path in new for v in frames(path)[2]]
    rounds = [Observation(i, "incumbent", "", totals=frames(path)[2]) for i, path in enumerate(old)]
    thresholds = Thresholds(
        min_baseline=1, alpha=args.alpha, latency_ratio=1 + args.latency_margin,
        latency_abs_ms=args.latency_slack_ms,
    )  # fmt: skip
    check = judge_latency(Observation(-1, "new", "", totals=pooled), rounds, thresholds)
    # judge_latency says `noisy` both for "slower, but the incumbent's rounds vary too much to be sure"
    # (inconclusive) and for "not slower, over a noisy incumbent" (passes: nothing points at the engine).
    slower = (check.ratio or 0.0) >= thresholds.latency_ratio
    outcome = {"regression": "fail", "noisy": "inconclusive" if slower else "pass"}.get(check.verdict, "pass")
    return {
        "outcome": outcome,
        "verdict": check.verdict,
        "new_median_ms": round(check.new or 0.0, 4),
        "incumbent_median_ms": round(check.baseline or 0.0, 4),
        "ratio": round(check.ratio or 0.0, 4),
        "p_value": check.p_value,
        "new_frames": check.n_new,
        "incumbent_frames": check.n_baseline,
        "rounds": len(old),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--new", action="append", required=True, help="a new-engine round's frames file")
    ap.add_argument("--old", action="append", default=[], help="an incumbent round's frames file")
    ap.add_argument("--more", default="[]", help="JSON: further rounds to run while inconclusive")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--latency-budget-ms", type=float, required=True)
    ap.add_argument("--latency-margin", type=float, default=0.5)
    ap.add_argument("--latency-slack-ms", type=float, default=0.05)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--agreement-margin", type=float, default=0.05)
    args = ap.parse_args()
    with open(args.manifest) as fh:
        reference = json.load(fh)["reference"]
    outputs, predicted, latency = frames(args.new[0])
    ref_out = reference["outputs"]
    n = min(len(outputs), len(ref_out))
    worst = 0.0
    for got, want in zip(outputs[:n], ref_out[:n]):
        if len(got) != len(want):
            worst = float("inf")
            break
        for a, b in zip(got, want):
            worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    verdict: dict[str, object] = {
        "frames": len(outputs),
        "reference_frames": len(ref_out),
        "max_output_error": worst,
        "tolerance": args.tolerance,
        "p99_ms": round(p99(latency), 4),
        "latency_budget_ms": args.latency_budget_ms,
    }
    checks = {
        "reference": n > 0 and n == len(ref_out) and worst <= args.tolerance,
        "latency": p99(latency) <= args.latency_budget_ms,
    }
    if args.old:
        _, old_pred, old_lat = frames(args.old[0])
        m = min(len(predicted), len(old_pred))
        agree = sum(1 for a, b in zip(predicted[:m], old_pred[:m]) if a == b) / m if m else 0.0
        new, old = list(args.new), list(args.old)
        judged = latency_check(new, old, args)
        more = json.loads(args.more)
        while judged["outcome"] == "inconclusive" and more:  # inconclusive: measure again before failing anyone
            new_cmd, new_out, old_cmd, old_out = more.pop(0)
            for cmd in (new_cmd, old_cmd):
                subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
            new.append(new_out)
            old.append(old_out)
            judged = latency_check(new, old, args)
        verdict.update({"agreement": round(agree, 4), "incumbent_p99_ms": round(p99(old_lat), 4)})
        verdict["latency_ni"] = judged
        checks["agreement"] = agree >= 1 - args.agreement_margin
        checks["latency_ni"] = judged["outcome"] == "pass"
    verdict["checks"] = checks
    verdict["passed"] = all(checks.values())
    print("HIL_GATE " + json.dumps(verdict, sort_keys=True))
    if not verdict["passed"]:
        failed = ", ".join(k for k, ok in checks.items() if not ok)
        print(f"hil gate: failed {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
