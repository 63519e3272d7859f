"""Blocklist feeds: known-bad networks from public reputation lists become decisions.

- ``formats``: parsers for each feed format (Spamhaus DROP JSON and text, Tor exit
  lists, FireHOL netsets, plain lists).
- ``feeds``: the configured feeds and the built-in defaults.
- ``fetch``: conditional downloads, bounded in time and size.
- ``safety``: what a body would ban or refuse and why; when a list is not believed.
- ``state``: one item per feed and its stored entry list.
- ``service``: the importer the scheduled function runs.

See docs/blocklists.md.
"""
