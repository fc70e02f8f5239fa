"""voiceguide's web pieces.

`http` and `style` are shared by every server voiceguide runs on the local network (the threaded
server, safe responses, the dark stylesheet); `library`, `feed`, `page` and `cover` are what
`voiceguide serve` makes from a folder of rendered sessions. Nothing here imports `voiceguide.serve`,
which wires them together.
"""
