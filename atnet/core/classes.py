"""The classes of MEGC 2019's composite, by id."""
CLASSES = ("negative", "positive", "surprise")  # MEGC 2019 ids 0, 1, 2
