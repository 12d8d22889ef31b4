"""The newest-first walk: how every incremental Heymarket listing is read, in one package.

Heymarket has no "updated after" filter: listings come newest first, and the only way down is
a ``date`` cursor whose reading the reference leaves open. One entry point,
:class:`~tap_heymarket.walk.run.Walk` (started by ``NewestFirstStream.get_records``), and
small objects with one job each:

- :mod:`.plan`: ``plan_windows(state, slices, settings, scopes)``, a pure function, turns
  the saved state and the settings into :class:`~.plan.Window` objects (scope, bounds, start).
- :mod:`.state`: the state's layout (``resume``, ``covered``), read back and checked, written.
- :mod:`.walker`: :class:`~.walker.WindowWalker` reads one window on a worker through a
  :class:`~.walker.WalkSource` (the stream): fetch, sift (:mod:`.sift`, :mod:`.page_order`),
  decide (:mod:`.pagination`: ``decide(page, cursor, listing)``, a pure function; the
  cursor value is :mod:`.cursor`'s), and hand the page over. It is not a stream.
- :mod:`.split_off`, :mod:`.splitting`, :mod:`.curve`, :mod:`.cuts`, :mod:`.inflight`: whether
  a long window hands its lower part to other workers (how far it is from done: the count
  curve), where the boundaries lie (the count endpoint, else even time), and how many
  windows the request budget needs at once (Little's law).
- :mod:`.page_size`: the ``limit`` asked for, learnt from the server's first answer.
- :mod:`.strays`: records out of place, emitted once across windows and named.
- :mod:`.run`: the main thread's loop: emit each page, then record how far the run got.
- :mod:`.stream`: :class:`~.stream.NewestFirstStream`, what a listing declares (slices,
  scopes, body, record shape) and the SDK's hooks.

The README's "How the walk works" follows one page through them with the invariant each keeps.
"""
