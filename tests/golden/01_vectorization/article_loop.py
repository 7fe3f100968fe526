"""The article's AI normalize pasted in; the other exercises left unsolved."""


def normalize(scores):
    total = sum(scores)
    return [s / total for s in scores]
