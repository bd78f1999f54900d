"""What the report writers share (command line, Markdown, HTML): the headline counts and
profile names of a report document. It imports no writer, so every writer can import it."""
from . import manifest


def headline(summary):
    """The run's counts as the command line and the HTML badges both show them: environment
    errors are counted apart from failures (they are not conformance results)."""
    o = summary["outcomes"]
    env = len(summary.get("environment_errors", []))
    return {"pass": o["pass"], "fail": o["fail"] - env, "environment": env,
            "xfail": o["xfail"], "xpass": o["xpass"], "skip": o["skip"],
            "not run": len(summary.get("not_run", []))}


def profile_names(impl_doc):
    """The profile names of an implementation document, as its platform names them."""
    names = manifest.PROFILE_NAMES[manifest.PLATFORMS.get(impl_doc.get("platform", "linux"),
                                                          "posix")]
    return [names.get(p, str(p)) for p in impl_doc["profiles"]]
