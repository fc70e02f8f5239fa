"""The plan: a routine and its settings, with how long each utterance lasts, become a `Timeline`.

`planner` (`plan()`: routine + settings + lengths -> timeline), `timeline` (the events, their roles
and the chapters: the single source of truth every later stage reads), `instances` (a routine's
steps expanded, repeats and sides), `now` (what is happening at a moment of the timeline, as the
floor view and the phone remote show it) and `svg` (a picture of a timeline).
"""
