"""`play --listen`: spoken commands, heard only while the session itself is silent.

gate.py says when the session is silent (from the timeline), microphone.py captures the default
microphone, spotter.py finds the command words in what it hears (pocketsphinx keyword spotting),
and controller.py ties them to the player through `steer`.
"""
