#!/usr/bin/env python3
"""Generate hash_vectors.json: snapshot requests with the canonical form and
hash that risk-hub spec §2.11 (decision D1) gives them.

The expected values are computed here, in Python, with the standard library
only (json.dumps(sort_keys=True, separators=(",", ":")) and hashlib.sha256),
independently of the Go code under test: the Go test replays each request
through the contract and compares. Regenerate with

    python3 aggregates/risksnapshot/testdata/gen_hash_vectors.py

and commit both files together.
"""

import hashlib
import json
import os

TTL_DEFAULT = 900
CANONICAL = ["world_id", "as_of", "version", "weights", "covariance", "covariance_ref",
             "realized_returns", "realized_returns_ref", "stress", "stress_ref",
             "constraints", "ttl_sec", "provenance"]


def normalize(world, body, actor, stage):
    """The normalised canonical object of D1, from the spec's text."""
    data = json.loads(body)
    out = {"world_id": world, "as_of": data["as_of"], "version": data["version"]}
    out["weights"] = {k: float(v) for k, v in data["weights"].items()}
    cov = data.get("covariance")
    if cov:
        out["covariance"] = {k: float(v) for k, v in cov.items()}
    rr = data.get("realized_returns")
    if rr is not None:
        if isinstance(rr, dict):
            out["realized_returns"] = {k.strip(): [float(x) for x in v] for k, v in rr.items()}
        else:
            out["realized_returns"] = [float(x) for x in rr]
    for ref in ("covariance_ref", "realized_returns_ref", "stress_ref"):
        if data.get(ref) is not None:
            out[ref] = data[ref].strip()
    for free in ("stress", "constraints"):
        if data.get(free):
            out[free] = data[free]
    ttl = data.get("ttl_sec")
    out["ttl_sec"] = TTL_DEFAULT if ttl is None else ttl
    prov = dict(data.get("provenance") or {})
    if actor is not None:
        prov["actor"] = actor
    if stage is not None:
        prov["stage"] = stage
    out["provenance"] = prov
    assert set(out) <= set(CANONICAL)
    return out


CASES = [
    # The example of spec §2.11.
    ("spec-example", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}}'),
    ("integer-weight-is-a-float", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1}}'),
    ("float-forms", "world-1", "risk-engine", "live",
     '{"as_of": "2025-01-15T09:30:00.123456+09:00", "version": "v-floats",'
     ' "weights": {"a": 0.1, "b": 0.2, "c": 0.7},'
     ' "covariance": {"a,a": 1e-05, "b,b": 1e16, "c,c": 1234567890123456.0, "a,b": -0.0,'
     ' "a:c": 5e-324, "b:c": 1.7976931348623157e308, "c,a": 0.0001, "b,a": 12345678901234567890,'
     ' "x,y": 2.5e-07, "y,x": 100, "z,z": 1E2},'
     ' "realized_returns": {"a": [1, -2, 0.5, 3e-5, 0.30000000000000004], "  b  ": [0.0]}}'),
    ("unicode-and-escapes", "w\u00e9/\u00fc", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00", "version": "v\\u00e9\\ud83d\\ude00",'
     ' "weights": {"\\u00e9t\\u00e9": 0.25, "\\ud83d\\ude00": 0.25, "\\uffff": 0.25, "Z_a/b": 0.25},'
     ' "provenance": {"source": "</script>&<b>\\"q\\"\\\\ \\n\\r\\t\\b\\f \\u0001 \\u007f \\u0080 \\u2028",'
     ' "reason": "caf\\u00e9", "nested": {"z": 1, "a": [true, false, null]}}}'),
    ("free-form-numbers", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 0.5, "s2": 0.5},'
     ' "stress": {"crash": {"max_drawdown": 0.3, "es_99": 2e-1, "big": 123456789012345678901234567890,'
     ' "negzero": -0, "hundred": 1e2, "tiny": 1.5E-7, "neg": -7, "f": -0.0}, "rates": {"up": [1, 2.0, 3e0]}},'
     ' "constraints": {"max_leverage": 2, "candidate_weight": 0.05, "adv_util_p95": 0.1}}'),
    ("refs-trimmed-ttl-explicit", "w", "gateway", "backtest",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v3", "weights": {"s1": 0.6, "s2": 0.4},'
     ' "covariance_ref": "  file:///blobs/cov.json ", "realized_returns_ref": "\\tredis://risk-blobs:x\\n",'
     ' "stress_ref": " s3://b/p/stress.json", "ttl_sec": 60, "provenance": {"schema_version": 2, "cov_version": "c7"}}'),
    ("legacy-bare-series", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v4", "weights": {"s1": 1.0},'
     ' "realized_returns": [0.01, -0.02, 3, 1e-7]}'),
    ("empty-and-null-optionals-absent", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v5", "weights": {"s1": 1.0},'
     ' "covariance": {}, "stress": {}, "constraints": {}, "covariance_ref": null, "ttl_sec": null,'
     ' "realized_returns": null, "stress_ref": null, "hash": null, "created_at": "2020-01-01T00:00:00Z"}'),
    ("payload-provenance-equal-to-headers", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v6", "weights": {"s1": 0.5004, "s2": 0.5005},'
     ' "provenance": {"actor": "gateway", "stage": "paper", "source": "gateway", "reason": "rebalance_execute"}}'),
    ("kafka-wire-fields-excluded", "w", None, None,
     '{"world_id": "w", "as_of": "2025-01-01T00:00:00Z", "version": "v7", "weights": {"s1": 1.0},'
     ' "provenance": {"actor": "worldservice", "stage": "live"}, "event_version": 1,'
     ' "idempotency_key": "risk_snapshot_updated:w:x:1", "created_at": "2025-01-01T00:00:05Z", "ttl_sec": 120}'),
    ("weights-sum-upper-edge", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v8", "weights": {"a": 0.5, "b": 0.501}}'),
    ("negative-weights-long-short", "w", "gateway", "paper",
     '{"as_of": "2025-01-01T00:00:00Z", "version": "v9", "weights": {"long": 1.5, "short": -0.5}}'),
]


def main():
    vectors = []
    for name, world, actor, stage, body in CASES:
        canon = json.dumps(normalize(world, body, actor, stage), sort_keys=True, separators=(",", ":"))
        digest = "sha256:" + hashlib.sha256(canon.encode("utf-8")).hexdigest()
        vectors.append({"name": name, "world": world, "kafka": actor is None,
                        "actor": actor or "", "stage": stage or "",
                        "body": body, "canonical": canon, "hash": digest})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hash_vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
