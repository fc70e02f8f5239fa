"""The mix: clips and sounds placed on the timeline block by block, loudness measured (BS.1770) and
corrected, true peaks limited. `mixer` (`Mixer`); the signal maths it uses is `voiceguide.dsp`,
shared with the voice and the live player."""
