"""Export: sessions to files. `render` (one session mixed, levelled and encoded, atomically),
`formats/` (MP3, M4A, M4B, Opus, WAV: plugins picked by name), `transcripts` (.srt, .vtt, .lrc)
and `batch` (many routines rendered in parallel worker processes)."""
