"""The floor view: `voiceguide play`'s full-screen terminal view, readable from a mat two metres away.

state.py says what to show (a pure function of the timeline and the audio clock); digits.py,
letters.py and bars.py draw its parts as plain text lines; view.py lays them out for the
terminal's size and hands rich one renderable.
"""
