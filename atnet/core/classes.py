"""The classes of MEGC 2019's composite, by id (the default class set; the others are data:
atnet/data/class_sets.json); the corpora atnet reads; and what makes two rows one clip."""
CLASSES = ("negative", "positive", "surprise")  # MEGC 2019 ids 0, 1, 2
COMPOSITE = ("casme2", "samm", "smic")          # the composite's corpora
CORPORA = COMPOSITE + ("casme3", "mmew")        # every micro-expression corpus atnet reads
DATASETS = CORPORA                              # the dataset a row of a table may name


def corpus_clash(dataset: str, subject) -> str | None:
    """The corpus a dataset-qualified subject names where it is not the row's own dataset
    (`samm/006` on a casme2 row), else None: such a row would count in one corpus and be scored in
    another."""
    head = str(subject).split("/", 1)[0].lower()
    return head if "/" in str(subject) and head in DATASETS and head != dataset else None


def clip_identity(subject, clip) -> str:
    """What makes two rows one clip: the (dataset-qualified) subject and the clip, names compared
    ignoring letter case (EP02_01f and ep02_01F are one clip, counted once)."""
    return f"{str(subject).casefold()}\0{str(clip).casefold()}"
