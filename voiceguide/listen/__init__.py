"""`play --listen`: spoken commands, heard only while the session itself is silent.

gate.py says when the session is silent (from the timeline), microphone.py captures the default
microphone, spotter.py finds the command words in what it hears (pocketsphinx: a grammar of the words, vouched for by keyword spotting or the word's acoustic score),
and controller.py ties them to the player through `steer`.
"""
