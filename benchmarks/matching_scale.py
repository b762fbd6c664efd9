"""GET /claims/{id}/matches at two table sizes: does a match cost more in a larger table?

    python -m benchmarks.matching_scale [--sizes 10000,100000] [--rounds 5] [--keep DIR]

For each database: import the corpus of benchmarks/corpus.py at each size (the same
generator as benchmarks/filters.py, whose corpora --keep shares: its first articles
are the same at every size, so the probes are the same claims), then request the
matches of one claim of each kind through the app's test client, the sizes
alternating round by round, and print the median SQL time (the statements' time in
the driver), the median whole request, and the larger / smaller ratio of each. The
issue's target is a ratio of at most 2.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.filters import run_across_sizes, sql_time
from claims_api import create_app

# One claim of each kind of the corpus (quantity, membership, statement, event, other),
# from its first article; and the same kinds from its tenth.
PROBES = [1, 2, 3, 4, 5, 181, 182, 183, 184, 185]


class Target:
    def __init__(self, url: str) -> None:
        self.app = create_app({"DATABASE_URL": url})
        self.client = self.app.test_client()

    def request(self, claim_id: int) -> tuple[float, float, int]:
        """SQL seconds, whole seconds and the number of matches of one request."""
        with sql_time(self.app) as spent:
            started = time.perf_counter()
            response = self.client.get(f"/claims/{claim_id}/matches")
            whole = time.perf_counter() - started
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return sum(spent), whole, len(response.get_json()["items"])


def measure(targets: dict[int, Target], rounds: int) -> list[str]:
    sizes = sorted(targets)
    sql: dict[int, list[float]] = {size: [] for size in sizes}
    whole: dict[int, list[float]] = {size: [] for size in sizes}
    found: dict[int, int] = dict.fromkeys(sizes, 0)
    for target in targets.values():
        for claim_id in PROBES:
            target.request(claim_id)  # warm: plans, caches, the entity reference
    for round_ in range(rounds):
        for size in sizes if round_ % 2 == 0 else sizes[::-1]:
            seconds, total, items = 0.0, 0.0, 0
            for claim_id in PROBES:
                spent, taken, count = targets[size].request(claim_id)
                seconds, total, items = seconds + spent, total + taken, items + count
            sql[size].append(seconds / len(PROBES))
            whole[size].append(total / len(PROBES))
            found[size] = items
    lines = []
    for size in sizes:
        lines.append(
            f"  {size // 1000:>4}k claims: SQL {statistics.median(sql[size]) * 1000:7.2f} ms, "
            f"request {statistics.median(whole[size]) * 1000:7.2f} ms per match request "
            f"({found[size] / len(PROBES):.1f} matches each)"
        )
    small, large = sizes[0], sizes[-1]
    sql_ratio = statistics.median(sql[large]) / statistics.median(sql[small])
    whole_ratio = statistics.median(whole[large]) / statistics.median(whole[small])
    lines.append(
        f"  ratio {large // 1000}k/{small // 1000}k: SQL {sql_ratio:.2f}, "
        f"request {whole_ratio:.2f} (target <= 2)"
    )
    return lines


def main() -> None:
    run_across_sizes(__doc__.splitlines()[0], measure, Target, f", {len(PROBES)} probes")


if __name__ == "__main__":
    main()
