"""Protocol revisions as data (spec/README.md#revisions).

Two revisions of netipc are in the field. Every requirement applies to a range of them
(`since`, `until`, both inclusive; `until` None = still in force), every implementation
manifest claims the revisions it implements, and a run judges against exactly one revision
(`--spec-revision`, default the newest)."""

# Oldest first: the order defines "since" and "until".
REVISIONS = ("seed", "newest")
DEFAULT = "newest"
# The upstream commit each revision is pinned to (informative; spec/README.md).
COMMITS = {"seed": "6d9ffc1", "newest": "0d17a9d"}


class UnknownRevision(ValueError):
    """A revision name that is not one of REVISIONS."""


def check(name: str) -> str:
    """Returns `name` when it is a known revision; raises UnknownRevision naming the known
    ones otherwise."""
    if name not in REVISIONS:
        raise UnknownRevision("unknown spec revision %r (known: %s)" % (name, ", ".join(REVISIONS)))
    return name


def rank(name: str) -> int:
    return REVISIONS.index(check(name))


def in_range(revision: str, since: str = None, until: str = None) -> bool:
    """True when `revision` lies in [since, until]; a missing bound is open."""
    r = rank(revision)
    return (since is None or rank(since) <= r) and (until is None or r <= rank(until))


def applies(requirement: dict, revision: str) -> bool:
    """True when a requirements.json entry is in force at `revision`."""
    return in_range(revision, requirement.get("since"), requirement.get("until"))


def label(requirement: dict) -> str:
    """The range as text: "all", "newest", "seed", "seed..newest"."""
    since, until = requirement.get("since") or REVISIONS[0], requirement.get("until")
    if since == REVISIONS[0] and until is None:
        return "all"
    if until is None:
        return "since " + since
    return since if since == until else "%s..%s" % (since, until)


def argparse_type(value: str) -> str:
    """For `--spec-revision`: argparse turns the ValueError into a usage error (exit 2)."""
    try:
        return check(value)
    except UnknownRevision as e:
        import argparse
        raise argparse.ArgumentTypeError(str(e))
