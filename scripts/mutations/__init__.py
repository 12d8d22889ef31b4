"""The named mutations of ``scripts/mutate.py``: each a guard, removed, and the tests that must notice.

Keep ``old`` short but unique in its file; when code moves, the script says which entry to
update. ``why`` is what the guard protects, printed beside a survivor. ``tests`` holds every
test file that could plausibly notice the guard's loss (a survivor is judged against them
all), kept to about a minute's run. The list is one tuple per area of the code; a new area
(the walk and its state, after their rewrite) is one more tuple added to :data:`MUTATIONS`.
"""

from __future__ import annotations

from mutations.base import Mutation
from mutations.client import AUTH, BODIES, CLIENT
from mutations.records import DIRECTORY, PAGES, SECRETS, SHAPE
from mutations.walk import KEPT, WALK

__all__ = ["KEPT", "MUTATIONS", "Mutation"]

MUTATIONS: list[Mutation] = [*CLIENT, *AUTH, *BODIES, *SHAPE, *DIRECTORY, *SECRETS, *PAGES, *WALK]
