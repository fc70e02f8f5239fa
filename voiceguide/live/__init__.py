"""Live: the timeline played through the sound device, hands-free, timed by the audio clock.

`player` (the `Player`: the mixer's blocks to the device, pause, skip, more time), `output` (the
sound device), `ahead` (the clips rendered ahead of the player), `preload` (the voice model loaded
before it is needed), `steer` (one set of commands for keys, spoken commands and the phone remote),
`view` (the terminal session: keys in, the floor view out), `floor/` (the big-letter floor view)
and `listen/` (spoken commands: microphone, voice activity, recogniser). Nothing here imports the
export side; both take the session from `voiceguide.session`.
"""
