"""``source-heymarket``: the tap as an Airbyte source, through one code path.

The Airbyte command runs the same :class:`~tap_heymarket.tap.TapHeymarket` in-process (its
streams, walk, state, retries and errors) and only translates at the edges: Airbyte config,
configured catalog and state into the tap's (:mod:`.catalog`, :mod:`.state`), and the tap's
Singer messages into Airbyte messages as they are written (:mod:`.writer`). Nothing here reads
the API. The messages are plain JSON (:mod:`.protocol`), so the command needs no dependency
beyond the tap's; the test suite validates every one against the protocol's published models
(the ``airbyte`` extra).
"""
