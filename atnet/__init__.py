"""atnet: the Apex-Time Network for micro-expression recognition, end to end.

Pipeline (each a subpackage, dependencies point one way):
datasets -> faces -> features -> models -> training -> protocols -> metrics -> reports; cli on top.
"""

__version__ = "0.1.0"
CLASSES = ("negative", "positive", "surprise")  # MEGC 2019 ids 0, 1, 2
