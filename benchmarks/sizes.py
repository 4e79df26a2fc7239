"""The sizes of the benchmark data set (no Django import: the database is chosen before Django starts).

`100k` lives in `interception_bench` (or BENCH_DATABASE_URL), every other size in a database of its own with
the size appended (`interception_bench_1m`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """One data set: its name, database and the numbers that grow with it."""

    name: str
    interceptions: int
    np_stations: int  # Nepal: 75 % of the stations (the country director's share)
    in_stations: int
    user_grants: int
    group_grants: int

    @property
    def countries(self) -> list[tuple]:
        return [
            ("NP", "Nepal", "Asia/Kathmandu", self.np_stations),
            ("IN", "India", "Asia/Kolkata", self.in_stations),
        ]


SIZES = {
    "100k": Size("100k", 100_000, 150, 50, 2_000, 300),
    "1m": Size("1m", 1_000_000, 375, 125, 20_000, 3_000),
}


def size_for(interceptions: int) -> Size:
    """A data set of any size: 200 stations up to 100,000 interceptions, 500 above; grants scaled."""
    for s in SIZES.values():
        if s.interceptions == interceptions:
            return s
    np_, in_ = (150, 50) if interceptions <= 100_000 else (375, 125)
    scale = max(interceptions / 100_000, 0.2)
    return Size(
        f"{interceptions}",
        interceptions,
        np_,
        in_,
        int(2_000 * scale),
        int(300 * scale),
    )
