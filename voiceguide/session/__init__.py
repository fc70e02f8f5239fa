"""The session: the shared front half of export and live playback (a routine, its settings, its voice
and its timeline planned with the measured clips). `build`: `session()`, `voiced_session()`,
`utterances()` and `voiced()`."""
