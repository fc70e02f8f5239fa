"""`play --listen`: spoken commands, heard only while the session itself is silent.

gate.py says when the session is silent (from the timeline), microphone.py captures the default
microphone, vad.py cuts what it hears into utterances (silero VAD), recognizer.py transcribes each
short one (Whisper base) and words.py says which command, if any, the transcript is; model.py finds
and verifies the models, and controller.py ties it all to the player through `steer`.
"""
