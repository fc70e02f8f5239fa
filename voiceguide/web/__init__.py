"""The web side: what voiceguide serves on the local network.

`http` and `style` are shared by every server voiceguide runs (the threaded server, safe
responses, the dark stylesheet); `library`, `feed`, `page` and `cover` are what `voiceguide serve`
makes from a folder of rendered sessions, and `serve` wires them together (nothing else here
imports it); `remote` is the phone remote of a live session (`play --remote`), which steers the
player and reads the same "now" (`plan.now`) as the floor view, never the terminal view itself.
"""
