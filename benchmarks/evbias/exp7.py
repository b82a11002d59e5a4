from gen import make
from run1 import one

for s in (15, 16, 17):
    one(f"618 only s{s}", make(seed=s, ev11=None, camp=None))
    one(f"double11 only s{s}", make(seed=s, ev618=None, camp=None))
