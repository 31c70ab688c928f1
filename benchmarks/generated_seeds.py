"""What the generated searches conclude on each broken variant, seed by seed (issue 18 §1).

For each variant (default: every one of ``tests/support/variant_map.GENERATED``, and the
reference server) and each seed, one run of the bundled generated searches
(suites/test_generated.py, as ``scimcheck run`` shards them) at ``--examples`` with shrinking
on, in a fresh process; prints the generated checks that failed, per seed, the requests those
searches sent, and whether every seed agrees with the variant's expected findings. With
``--python`` and ``--suites`` it runs another checkout's interpreter and suites (e.g. the commit
before a change), so a budget can be compared with the one it replaces on the same seeds:

    python benchmarks/generated_seeds.py --examples 60 --out new.json
    python benchmarks/generated_seeds.py --examples 200 --python OLD/venv/bin/python \\
        --suites OLD/suites --out old.json
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generated_run import generated_run

from scimcheck.core import bundled

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.variant_map import GENERATED  # one list of the data-fidelity variants

REFERENCE = "(reference)"


def one_run(python: str, suites: Path, variant: str, seed: int, examples: int
            ) -> tuple[list[str], int]:
    """The generated checks that failed, and the requests the searches sent."""
    document = generated_run([python, "-m", "pytest"], suites,
                             None if variant == REFERENCE else variant, seed, examples)
    failed = sorted(c["id"] for c in document["checks"]
                    if c["outcome"] == "failed" and c["id"].startswith("generated."))
    return failed, int((document.get("requests") or {}).get("total", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--variants", default=",".join([REFERENCE, *sorted(GENERATED)]))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--suites", type=Path, default=bundled.suites_dir())
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    jobs = [(v, s) for v in variants for s in range(1, args.seeds + 1)]
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = dict(zip(jobs, pool.map(
            lambda job: one_run(args.python, args.suites, job[0], job[1], args.examples),
            jobs), strict=True))
    table: dict[str, dict[str, list[str]]] = {}
    print(f"generated_seeds: --examples {args.examples}, seeds 1-{args.seeds}, {args.python}")
    for variant in variants:
        expected = sorted(GENERATED.get(variant, set()))
        per_seed = {str(s): outcomes[(variant, s)][0] for s in range(1, args.seeds + 1)}
        requests = [outcomes[(variant, s)][1] for s in range(1, args.seeds + 1)]
        table[variant] = per_seed
        agree = sum(found == expected for found in per_seed.values())
        differing = {s: f for s, f in per_seed.items() if f != expected}
        print(f"{variant:30} {agree}/{args.seeds} seeds find exactly {expected or 'nothing'}; "
              f"requests {min(requests)}-{max(requests)}"
              + (f"; differ: {differing}" if differing else ""))
    if args.out:
        args.out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
