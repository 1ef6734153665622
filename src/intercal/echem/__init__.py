"""Electrochemistry analysis: cycling (:mod:`.capacity`), CV (:mod:`.cv`), EIS (:mod:`.eis`)."""
