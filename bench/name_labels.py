#!/usr/bin/env python3
"""How often numbers in name order would have to move (not part of the service).

The tallies' rankings order a tie by name; each carries the name (`sort_name`). A number per
person and team, in name order with room between neighbours, would order the same ties in 4 or
8 bytes (`results/2026-12-07-name-numbers.md`). But a hire between two names whose numbers are
adjacent forces neighbours to be renumbered, and every renumbered person's tally rows (about
400 each at 10M shout-outs) would have to be written again. This simulates hires into a
directory under two labelling schemes and reports how many people move per hire on average and
in the worst single hire, for the ways a directory fills:

  squeeze  sorted names, each just after the last, between two fixed neighbours (an import in
           name order into a directory that already has people on both sides)
  reverse  the same, each just before the last
  mixed    both at once
  append   sorted names after everyone
  prepend  sorted names before everyone
  random   names in no order (hires over time)

Schemes:
  nearest  the middle of the gap; when a gap is used up, renumber the nearest 2, 4, 8 ... names
           either side until the numbers just outside them leave `room` between each (what was
           prototyped on 7 December)
  ranges   the middle of the gap; when used up, renumber the smallest aligned range of numbers
           around the name (2, 4, 8 ... numbers wide) holding at most (2/T)^level names: the
           list-labelling algorithm of Itai, Konheim and Rodeh as simplified by Bender et al.,
           amortised O(log n) moves per insert

  python3 bench/name_labels.py [HIRES]   (40,000 by default; about 4 minutes)
"""
import bisect
import random
import sys


def names(pattern, n, seed=1):
    rnd = random.Random(seed)
    for k in range(n):
        if pattern == "squeeze":
            yield "m%07d" % k
        elif pattern == "reverse":
            yield "m%07d" % (10**7 - k)
        elif pattern == "mixed":
            yield "m%07d" % k if k % 2 else "m%07d" % (10**7 - k)
        elif pattern == "append":
            yield "zz%07d" % k
        elif pattern == "prepend":
            yield "A%07d" % (10**7 - k)
        else:
            yield "m%016x" % rnd.getrandbits(64)


class Directory:
    """Names in order and their numbers, in (0, 2^bits); 0 and 2^bits are never given."""

    def __init__(self, bits, scheme, room=64, t=1.5):
        self.top = 1 << bits
        self.bits, self.scheme, self.room, self.t = bits, scheme, room, t
        self.names, self.nos = [], []
        self.moved = 0
        self.worst = 0

    def hire(self, name):
        i = bisect.bisect_left(self.names, name)
        below = self.nos[i - 1] if i > 0 else 0
        above = self.nos[i] if i < len(self.names) else self.top
        if above - below >= 2:
            no = below + (above - below) // 2
        elif self.scheme == "nearest":
            no = self.renumber_nearest(i)
        else:
            no = self.renumber_range(i, below)
        self.names.insert(i, name)
        self.nos.insert(i, no)

    def spread(self, first, last, start, spacing, i):
        """Numbers names[first:last] start + spacing * k, leaving the k of position i free."""
        moves = 0
        for j, k in enumerate(range(first, last)):
            new = start + spacing * (j + 1 if k < i else j + 2)
            if self.nos[k] != new:
                self.nos[k] = new
                moves += 1
        self.moved += moves
        self.worst = max(self.worst, moves)
        return start + spacing * (i - first + 1)

    def renumber_nearest(self, i):
        width = 1
        while True:
            width *= 2
            first, last = max(0, i - width), min(len(self.names), i + width)
            outer_below = self.nos[first - 1] if first > 0 else 0
            outer_above = self.nos[last] if last < len(self.names) else self.top
            spacing = (outer_above - outer_below) // (last - first + 2)
            everyone = first == 0 and last == len(self.names)
            if spacing >= self.room or (everyone and spacing >= 1):
                return self.spread(first, last, outer_below, spacing, i)

    def renumber_range(self, i, below):
        for level in range(1, self.bits + 1):
            lo = (below >> level) << level
            hi = min(lo + (1 << level), self.top)
            lo = max(lo, 1)
            first = bisect.bisect_left(self.nos, lo)
            last = bisect.bisect_left(self.nos, hi)
            count = last - first + 1
            spacing = (hi - lo + 1) // (count + 1)
            # The whole range takes whatever it must (with 32 bits, (2/T)^32 is under 10,000).
            if (count <= (2 / self.t) ** level or level == self.bits) and spacing >= 1:
                return self.spread(first, last, lo - 1, spacing, i)
        raise RuntimeError("no numbers left")


def main():
    hires = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    patterns = ["squeeze", "reverse", "mixed", "append", "prepend", "random"]
    print(f"{hires:,} hires into a directory of two; people moved per hire (mean / worst single hire)")
    print("| scheme | bits | " + " | ".join(patterns) + " |")
    print("|---" * (len(patterns) + 2) + "|")
    for scheme, bits in [("nearest", 32), ("nearest", 64), ("ranges", 32), ("ranges", 64)]:
        cells = []
        for pattern in patterns:
            d = Directory(bits, scheme)
            d.hire("a")
            d.hire("z")
            for name in names(pattern, hires):
                d.hire(name)
            assert d.nos == sorted(d.nos) and len(set(d.nos)) == len(d.nos)
            cells.append(f"{d.moved / hires:.2f} / {d.worst:,}")
        print(f"| {scheme} | {bits} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
