from gen import make
from run1 import one

for s in (16, 17):
    one(f"weekday only s{s}", make(seed=s, ev618=None, ev11=None, camp=None))
for s in (15, 16, 17):
    one(
        f"flat, calendar off s{s}",
        make(seed=s, ev618=None, ev11=None, camp=None, weekday=False),
        nocal=True,
    )
