"""The plan: a routine and its settings, with how long each utterance lasts, become a `Timeline`.

`planner` (`plan()`: routine + settings + lengths -> timeline), `timeline` (the events, their roles
and the chapters: the single source of truth every later stage reads), `instances` (a routine's
steps expanded, repeats and sides), `now` (`Now`: what is happening at a moment of the timeline,
the player's status that the floor view, the phone remote and the listener all read) and `svg` (a
picture of a timeline).
"""
