"""Run statistics: what the engine counted during one `Machine.run()`, as a plain object.

`RunStats` has one typed field per engine counter, so scripts read
`result.stats.cache_misses` or `result.stats.callouts["out"]` and get
numbers, and `as_dict()` gives the same figures as a JSON-ready dict.
`format_table()` is the table `bt run --stats` prints.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["RunStats", "format_table"]

# Engine counters that are levels at the end of a run, not events to count.
_GAUGES = frozenset({"cache_blocks", "cache_uops", "cache_capacity_uops"})


@dataclass(frozen=True)
class RunStats:
    """Counters of one `Machine.run()` call (or, from `Machine.stats()`, of
    every run so far).

    Event counters (instructions, translations, lookups, callouts ...) count
    what happened during the run; the `cache_blocks`, `cache_uops` and
    `cache_capacity_uops` levels are the cache's state when it ended.
    `stats["name"]` reads a field by name, as the dict `RunResult.stats`
    used to be read.
    """

    instructions: int = 0              # guest instructions executed
    wall_seconds: float = 0.0          # wall-clock time spent in run()
    blocks_translated: int = 0         # guest blocks decoded and translated
    instructions_translated: int = 0   # guest instructions in those blocks
    block_lookups: int = 0             # translation-cache lookups (unchained block exits)
    cache_hits: int = 0                # lookups that found a translation
    cache_misses: int = 0              # lookups that had to translate
    jump_cache_hits: int = 0           # lookups answered by the indirect-jump cache
    chained_jumps: int = 0             # block exits that went straight to a chained successor
    invalidations: int = 0             # blocks dropped because the guest overwrote their code
    smc_block_exits: int = 0           # blocks cut short because they overwrote themselves
    exceptions: int = 0                # exceptions and interrupts delivered through the IDT
    interrupts: int = 0                # of which external (hardware) interrupts
    flushes: int = 0                   # whole-cache flushes (the cache was full)
    cache_blocks: int = 0              # blocks in the cache at the end
    cache_uops: int = 0                # micro-ops in the cache at the end
    cache_capacity_uops: int = 0       # micro-ops the cache holds before it is flushed
    # Callouts by kind (a name from bt.engine.CALLOUT_NAMES: "out", "cli",
    # "mov_to_cr" ...), kinds that never ran left out, most frequent first.
    callouts: dict[str, int] = field(default_factory=dict)
    # Engine counters this version of RunStats has no field for, as the
    # engine reported them at the end of the run.
    other: dict[str, Any] = field(default_factory=dict)

    # ---- derived figures --------------------------------------------------

    @property
    def mips(self) -> float:
        """Millions of guest instructions per wall-clock second."""
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds > 0 else 0.0

    @property
    def hit_rate(self) -> float | None:
        """Share of translation-cache lookups that hit (0..1); None without lookups."""
        return self.cache_hits / self.block_lookups if self.block_lookups else None

    @property
    def total_callouts(self) -> int:
        """Callouts of every kind."""
        return sum(self.callouts.values())

    def callout_share(self, kind: str) -> float:
        """The share (0..1) of all callouts that were of `kind`."""
        total = self.total_callouts
        return self.callouts.get(kind, 0) / total if total else 0.0

    def table(self) -> str:
        """The table `bt run --stats` prints (see format_table)."""
        return format_table(self)

    # ---- conversions ------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Every field (and `mips`) in a plain dict, ready for json.dumps."""
        d: dict[str, Any] = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                             if f.name != "other"}
        d["callouts"] = dict(self.callouts)
        d["mips"] = self.mips
        d.update(self.other)
        return d

    def __getitem__(self, key: str) -> Any:
        if key in self.other:
            return self.other[key]
        if key in _FIELD_NAMES or key == "mips":
            return getattr(self, key)
        raise KeyError(key)

    @classmethod
    def from_engine(cls, before: Mapping[str, Any] | None, after: Mapping[str, Any],
                    wall_seconds: float) -> RunStats:
        """The difference between two `Engine.stats()` snapshots (None: from zero)."""
        before = before or {}
        values: dict[str, Any] = {}
        other: dict[str, Any] = {}
        for key, value in after.items():
            if key == "callouts":
                values[key] = _callout_delta(before.get(key) or {}, value or {})
            elif key not in _FIELD_NAMES or key == "wall_seconds":
                other[key] = value
            elif key in _GAUGES:
                values[key] = int(value)
            else:
                values[key] = int(value) - int(before.get(key, 0))
        return cls(wall_seconds=wall_seconds, other=other, **values)

    def __add__(self, later: RunStats) -> RunStats:
        """These statistics followed by those of a `later` run."""
        if not isinstance(later, RunStats):
            return NotImplemented
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(later, f.name)
            if f.name in _GAUGES or f.name == "other":
                values[f.name] = b
            elif f.name == "callouts":
                values[f.name] = _sorted_callouts({k: a.get(k, 0) + b.get(k, 0)
                                                   for k in a.keys() | b.keys()})
            else:
                values[f.name] = a + b
        return RunStats(**values)


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(RunStats)) - {"other"}


def _callout_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    delta = {kind: int(n) - int(before.get(kind, 0)) for kind, n in after.items()}
    return _sorted_callouts({kind: n for kind, n in delta.items() if n})


def _sorted_callouts(counts: Mapping[str, int]) -> dict[str, int]:
    """Most frequent kind first; ties in name order."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ---- the `bt run --stats` table ------------------------------------------------

def format_table(stats: RunStats) -> str:
    """A readable table: run totals, the translation cache's figures, then
    the callouts by kind with their share of all callouts, most frequent first.

    Every section shares one layout: a label, a right-aligned number, and
    a right-aligned share or rate where one makes sense.
    """
    rows: list[tuple[str, str, str] | str] = [
        ("instructions executed", f"{stats.instructions:,}", ""),
        ("wall time", f"{stats.wall_seconds:.3f} s", ""),
        ("guest MIPS", f"{stats.mips:,.1f}", ""),
        "",
        "translation cache",
        ("blocks translated", f"{stats.blocks_translated:,}", ""),
        ("instructions translated", f"{stats.instructions_translated:,}", ""),
        ("lookups", f"{stats.block_lookups:,}", ""),
        ("  hits", f"{stats.cache_hits:,}", _percent(stats.cache_hits, stats.block_lookups)),
        ("  misses", f"{stats.cache_misses:,}",
         _percent(stats.cache_misses, stats.block_lookups)),
        ("  jump-cache hits", f"{stats.jump_cache_hits:,}",
         _percent(stats.jump_cache_hits, stats.block_lookups)),
        ("chained jumps", f"{stats.chained_jumps:,}", ""),
        ("invalidations", f"{stats.invalidations:,}", ""),
        ("self-modifying block exits", f"{stats.smc_block_exits:,}", ""),
        ("flushes", f"{stats.flushes:,}", ""),
        ("exceptions delivered", f"{stats.exceptions:,}", ""),
        ("  hardware interrupts", f"{stats.interrupts:,}", ""),
        ("blocks in the cache", f"{stats.cache_blocks:,}", ""),
        ("micro-ops in the cache", f"{stats.cache_uops:,}",
         _percent(stats.cache_uops, stats.cache_capacity_uops)),
        ("cache capacity (micro-ops)", f"{stats.cache_capacity_uops:,}", ""),
        "",
    ]
    total = stats.total_callouts
    if total:
        rows.append("callouts by kind")
        rows += [(f"  {kind}", f"{n:,}", _percent(n, total)) for kind, n in
                 _sorted_callouts(stats.callouts).items()]
        rows.append(("all callouts", f"{total:,}", _percent(total, total)))
    else:
        rows.append(("callouts", "0", ""))
    for key, value in stats.other.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((key.replace("_", " "), f"{value:,}", ""))

    cells = [r for r in rows if isinstance(r, tuple)]
    label_w = max(len(label) for label, _, _ in cells)
    value_w = max(len(value) for _, value, _ in cells)
    share_w = max([len("share")] + [len(share) for _, _, share in cells])
    lines = ["bt statistics:"]
    for row in rows:
        if isinstance(row, str):
            heading = f"  {row}" if row else ""
            if row == "translation cache":
                heading = f"  {row:<{label_w}}  {'':>{value_w}}  {'rate':>{share_w}}"
            elif row == "callouts by kind":
                heading = f"  {row:<{label_w}}  {'count':>{value_w}}  {'share':>{share_w}}"
            lines.append(heading.rstrip())
        else:
            label, value, share = row
            lines.append(f"  {label:<{label_w}}  {value:>{value_w}}  {share:>{share_w}}".rstrip())
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    if not whole:
        return ""
    share = 100.0 * part / whole
    if 0 < share < 0.05:
        return "<0.1%"
    return f"{share:.1f}%"
