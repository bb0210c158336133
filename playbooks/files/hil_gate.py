#!/usr/bin/env python3
"""hil's behaviour gate, run ON the vehicle after the self-tests (Python standard library only).

Checks, on the frames of the reference clip:
  reference    every output of the new engine within --tolerance of the signed manifest's reference outputs
  latency      p99 of the new engine's inference time within the vehicle's budget (--latency-budget-ms)
  agreement    (with an incumbent) the new engine's predicted class agrees with the incumbent's on at least
               1 - --agreement-margin of the frames
  latency_ni   (with an incumbent) new p99 <= incumbent p99 * (1 + --latency-margin) + --latency-slack-ms
Prints one line `HIL_GATE {json}` with every figure and verdict; exit 0 when all pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--old", default="")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--latency-budget-ms", type=float, required=True)
    ap.add_argument("--latency-margin", type=float, default=0.5)
    ap.add_argument("--latency-slack-ms", type=float, default=2.0)
    ap.add_argument("--agreement-margin", type=float, default=0.05)
    args = ap.parse_args()
    with open(args.manifest) as fh:
        reference = json.load(fh)["reference"]
    outputs, predicted, latency = frames(args.new)
    ref_out = reference["outputs"]
    n = min(len(outputs), len(ref_out))
    worst = 0.0
    for got, want in zip(outputs[:n], ref_out[:n], strict=True):
        if len(got) != len(want):
            worst = float("inf")
            break
        for a, b in zip(got, want, strict=True):
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
        _, old_pred, old_lat = frames(args.old)
        m = min(len(predicted), len(old_pred))
        agree = sum(1 for a, b in zip(predicted[:m], old_pred[:m], strict=True) if a == b) / m if m else 0.0
        limit = p99(old_lat) * (1 + args.latency_margin) + args.latency_slack_ms
        verdict.update(
            {"agreement": round(agree, 4), "incumbent_p99_ms": round(p99(old_lat), 4), "p99_limit_ms": limit}
        )
        checks["agreement"] = agree >= 1 - args.agreement_margin
        checks["latency_ni"] = p99(latency) <= limit
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
