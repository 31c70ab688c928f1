"""How many generated examples each data-fidelity defect takes to find (issue 18 §1).

For every broken variant of the reference server that only the generated searches catch
(``tests/support/variant_map.GENERATED``) and every seed, one run of the generated searches
(suites/test_generated.py, in ``--scim-shards`` items as ``scimcheck run`` splits them) with a
large budget and shrinking switched off, in a fresh process. Each failure's report says at
which example of its shard's search it was found; a shard that never failed the check within
its share is censored (it needs more than the share). Prints, per variant and check, those
numbers over the seeds and shards, and, for candidate ``--examples`` budgets, on how many seeds
a run of that budget would find the check (some shard found it within budget / shards). The
defaults in settings/run.py (``DEFAULT_EXAMPLES``) come from this table.

    python benchmarks/examples_needed.py [--seeds 10] [--examples 400] [--shards 4]
                                         [--variants a,b] [--jobs 2]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generated_run import generated_run

from scimcheck.core import bundled
from scimcheck.generate.model import CHECK as LIFECYCLE
from scimcheck.generate.model import lifecycle_examples

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.variant_map import GENERATED  # one list of these variants

CANDIDATES = (20, 40, 60, 80, 100, 120, 160, 200)
FOUND = re.compile(r"Found at generated example (\d+) of (\d+)")
ADVISORY_NOTES = {"generated.values-accepted", "generated.values-normalised"}
"""Collected over the whole search and reported with their first example, never shrunk."""

SHIM = """
import sys
from scimcheck.generate import search
search.SHRINK_SECONDS = 0  # the first failure's number is what is measured, not its shrinking
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def one_run(variant: str, seed: int, examples: int, shards: int) -> dict[str, list[int | None]]:
    """check id -> per shard: the example that failed it first, or None (not within its share)."""
    document = generated_run([sys.executable, "-c", SHIM], bundled.suites_dir(), variant, seed,
                             examples, shards)
    found: dict[str, list[int | None]] = defaultdict(list)
    for check in document["checks"]:
        if check["id"] in ADVISORY_NOTES or not check["id"].startswith("generated."):
            continue
        for failure in check.get("failures", []):
            match = FOUND.search(failure.get("message", "") or check.get("message", ""))
            found[check["id"]].append(int(match.group(1)) if match else None)
    for check_id, shards_found in found.items():
        shards_found.extend([None] * (shards - len(shards_found)))
        found[check_id] = shards_found
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--examples", type=int, default=400)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--variants", default=",".join(sorted(GENERATED)))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    share = args.examples // args.shards
    jobs = [(v, s) for v in variants for s in range(1, args.seeds + 1)]
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = dict(zip(jobs, pool.map(
            lambda job: one_run(job[0], job[1], args.examples, args.shards), jobs), strict=True))
    print(f"examples_needed: {len(variants)} variants x {args.seeds} seeds, --examples "
          f"{args.examples} in {args.shards} shards of {share}, shrinking off")
    header = " ".join(f"{n:>5}" for n in CANDIDATES)
    print(f"{'variant':32} {'check':34} {'found at example (found/shards)':44}"
          f" seeds found with --examples: {header}")
    for variant in variants:
        checks = sorted({c for (v, _), found in runs.items() if v == variant for c in found})
        expected = GENERATED[variant] - ADVISORY_NOTES
        for check_id in sorted(set(checks) | expected):
            per_seed = [runs[(variant, s)].get(check_id, [None] * args.shards)
                        for s in range(1, args.seeds + 1)]
            firsts = sorted(k for shards in per_seed for k in shards if k is not None)
            shown = (f"min {firsts[0]} median {firsts[len(firsts) // 2]} max {firsts[-1]} "
                     f"({len(firsts)}/{args.seeds * args.shards})" if firsts else "never")
            found_with = []
            for budget in CANDIDATES:
                cut = budget / args.shards
                if check_id == LIFECYCLE:  # the model runs programs, fewer than users
                    cut = lifecycle_examples(int(cut))
                found_with.append(sum(
                    any(k is not None and k <= cut for k in shards) for shards in per_seed))
            mark = "" if check_id in expected else "  (not in variant_map.GENERATED)"
            print(f"{variant:32} {check_id:34} {shown:44} "
                  + " ".join(f"{n:>5}" for n in found_with) + mark)


if __name__ == "__main__":
    main()
