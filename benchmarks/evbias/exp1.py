import sys

from gen import make
from run1 import one

which = sys.argv[1]
camps = [dict(name="spring", start="2025-04-10", end="2025-04-12")]
for s in (15, 16, 17):
    if which == "A":
        one(f"full s{s}", make(seed=s))
        one(f"full+campaigns s{s}", make(seed=s), campaigns=camps)
    else:
        one(f"weekday only s{s}", make(seed=s, ev618=None, ev11=None, camp=None))
        one(
            f"flat, calendar off s{s}",
            make(seed=s, ev618=None, ev11=None, camp=None, weekday=False),
            nocal=True,
        )
