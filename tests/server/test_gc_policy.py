"""The server's collector policy, checked in a fresh interpreter (it changes process-wide GC state)."""

import subprocess
import sys

PROBE = """
import gc
from server import gc_policy

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


def test_survivors_of_a_full_collection_are_frozen_and_a_release_gives_them_back() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    before, after_full, after_young, released = map(int, result.stdout.split())
    assert after_full >= before + 1000  # the 1,000 inner lists (and the outer one) joined the frozen set
    assert after_young == after_full  # a young collection freezes nothing
    assert released == 0
