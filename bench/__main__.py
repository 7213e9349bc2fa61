"""Run every benchmark and print a Markdown table for the README: `make bench` (or python -m bench).

Figures are ratios against a baseline measured in the same run on the same machine; never used as
timed assertions in tests. `python -m bench --quick` runs smaller sizes for a smoke check.
"""

from __future__ import annotations

import argparse
import platform
from typing import Any

from bench import (
    app_startup,
    encrypted_store,
    overdue_query,
    plan_pdf,
    sync_incremental,
    sync_ingest,
    sync_load,
    team_reports,
    unlock,
)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke check")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    rows += encrypted_store.run(1_000 if args.quick else encrypted_store.CASES)
    rows += overdue_query.run(10_000 if args.quick else overdue_query.AGREEMENTS)
    rows += unlock.run()
    rows += plan_pdf.run()
    rows += app_startup.run(200 if args.quick else app_startup.CASES, repeat=1 if args.quick else 3)
    rows += team_reports.run(5_000 if args.quick else team_reports.CASES)
    if args.quick:
        rows += sync_incremental.run(1_000, 10_000, repeat=5)
        rows += sync_ingest.run(1_000, rounds=1)
        rows += sync_load.run(20, 10.0, (("every 1-3 s", (1.0, 3.0)),))
    else:
        rows += sync_incremental.run()
        rows += sync_ingest.run()
        rows += sync_load.run()
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}\n")
    print("| benchmark | ours | baseline | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['benchmark']} | {_fmt(r['ours_ms'])} | {_fmt(r['baseline_ms'])} "
            f"| {_fmt(r['ratio'], 2)} | {r['goal']} |"
        )
    print("\nTimes in milliseconds unless the row says otherwise.")


if __name__ == "__main__":
    main()
