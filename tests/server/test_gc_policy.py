"""The server's collector policy, checked in a fresh interpreter (it changes process-wide GC state)."""

import subprocess
import sys

FREEZING = """
import gc
from paperex.server.core import gc_policy

gc_policy.install()
before = gc.get_freeze_count()
survivors = [[i] for i in range(1000)]  # tracked containers that outlive the next full collection
gc.collect()
after_full = gc.get_freeze_count()
young = [[i] for i in range(1000)]
gc.collect(0)
after_young = gc.get_freeze_count()
gc_policy.release()
print(before, after_full, after_young, gc.get_freeze_count())
"""

# A reference cycle frozen while alive, then dropped: only a full scan of the frozen objects frees it.
FROZEN_CYCLE = """
import gc, sys, weakref
from paperex.server.core import gc_policy

class Node:
    pass

gc_policy.install(full_scan_seconds=float(sys.argv[1]))
node = Node()
node.self = node
alive = weakref.ref(node)
gc.collect()  # node survives and is frozen
del node
gc.collect()
gc.collect()
print(alive() is None)
"""


def _run(program: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, check=True).stdout


def test_survivors_of_a_full_collection_are_frozen_and_a_release_gives_them_back() -> None:
    before, after_full, after_young, released = map(int, _run(FREEZING).split())
    assert after_full >= before + 1000  # the 1,000 inner lists (and the outer one) joined the frozen set
    assert after_young == after_full  # a young collection freezes nothing
    assert released == 0


def test_a_cycle_frozen_while_alive_is_collected_by_the_periodic_full_scan() -> None:
    assert _run(FROZEN_CYCLE, "600").split() == ["False"]  # between full scans it stays
    assert _run(FROZEN_CYCLE, "0").split() == ["True"]  # a full scan that is due frees it
