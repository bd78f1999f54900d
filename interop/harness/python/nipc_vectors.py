"""Replay the netipc golden vectors (vectors/*.json) against your own codec, from unittest or
pytest. Standard library only; Python 3.8 or newer.

You supply a *decode* callable (and optionally an *encode* callable), either one function for
every family or a dict {family: function}. A decode function receives a `Case` and returns

- a dict (or `Valid(fields)`): the bytes decode to these fields;
- `Invalid("ErrorClass")`: the bytes are rejected with this error class
  (`Invalid("StatusAuthFailed", packet=...)` for handshake_decide adds the rejection packet,
  which is then checked too);
- `Unsupported("why")`: your codec does not handle this case; it is reported as skipped.

An encode function receives a valid `Case` flagged Canonical and returns the bytes its fields
encode to, or `Invalid(...)` / `Unsupported(...)`. A family missing from a dict is skipped
with the reason "no decoder (encoder) for family X".

A check passes only on positive evidence: the same fields, the same error class, the same
bytes. Skips are skips, never passes. See README.md next to this file.
"""
import json
import re
import unittest
from pathlib import Path

__all__ = ["Case", "Check", "Valid", "Invalid", "Unsupported", "Verdict", "Report",
           "VectorFileError", "load", "checks", "check", "verify", "run", "VectorTests"]

SCHEMA_VERSION = 1
RESULTS = ("valid", "invalid", "acceptable")
# The op a codec testee performs per family (vectors/README.md); everything else is decode.
FAMILY_OPS = {"handshake_decide": "decide", "handshake_check_ack": "check_ack",
              "windows_names": "names"}
# HELLO_ACK rejection statuses (spec/envelope.md) by the suffix of a Status<Name> error.
STATUS_CODES = {"BadEnvelope": 1, "AuthFailed": 2, "Incompatible": 3, "Unsupported": 4,
                "LimitExceeded": 5, "InternalError": 6}


class VectorFileError(Exception):
    """A vector directory or file that cannot be used: missing, not JSON, or not following
    vectors/schema/vector-file.schema.json. The message names the file and the problem."""


class Valid:
    """The bytes decode to `fields` (a dict of JSON values)."""

    def __init__(self, fields):
        self.fields = fields

    def __repr__(self):
        return "Valid(%r)" % (self.fields,)


class Invalid:
    """The bytes are rejected with error class `error`; for handshake_decide, `packet` may carry
    the rejection HELLO_ACK the server sends (it is compared with the canonical one)."""

    def __init__(self, error, packet=None):
        self.error = error
        self.packet = packet

    def __repr__(self):
        return "Invalid(%r)" % (self.error,)


class Unsupported:
    """The codec does not handle this case; it is reported as skipped with `reason`."""

    def __init__(self, reason):
        self.reason = reason

    def __repr__(self):
        return "Unsupported(%r)" % (self.reason,)


class Case:
    """One vector case. `data` is the input: bytes for a `hex` case, a list of bytes for a
    `packets` case, None for a case whose input is its `context` alone. `result` is what the
    contract expects ("valid", "invalid" or "acceptable"); `fields` / `error` the expected
    decode (None when absent)."""

    def __init__(self, path, family, raw):
        self.path = path
        self.family = family
        self.op = FAMILY_OPS.get(family, "decode")
        self.id = raw["id"]
        self.name = raw["name"]
        self.requirements = list(raw["requirements"])
        self.comment = raw.get("comment", "")
        self.flags = list(raw["flags"])
        self.result = raw["result"]
        self.context = raw.get("context", {})
        self.fields = raw.get("fields")
        self.error = raw.get("error")
        self.hex = raw.get("hex")
        if "hex" in raw:
            self.data = bytes.fromhex(raw["hex"])
        elif "packets" in raw:
            self.data = [bytes.fromhex(p) for p in raw["packets"]]
        else:
            self.data = None

    @property
    def key(self):
        """`family/id-name`, the name the reports use."""
        return "%s/%d-%s" % (self.family, self.id, self.name)

    def __repr__(self):
        return "Case(%s)" % self.key


class Check:
    """One thing to verify about a case: its decode (`kind` "decode", also for the decide,
    check_ack and names ops) or, for a valid Canonical case with bytes, the encoding of its
    fields (`kind` "encode")."""

    def __init__(self, case, kind):
        self.case = case
        self.kind = kind

    @property
    def key(self):
        return self.case.key + (".encode" if self.kind == "encode" else "")

    def __str__(self):
        return self.key

    __repr__ = __str__


class Verdict:
    """The outcome of one check: `status` is "pass", "fail" or "skip"; `message` says why."""

    def __init__(self, check, status, message=""):
        self.check = check
        self.status = status
        self.message = message

    def line(self):
        """One report line: status, key, requirement IDs and the message."""
        text = "%s %s [%s]" % (self.status.upper(), self.check.key,
                               ",".join(self.check.case.requirements))
        return text + (": " + self.message if self.message else "")


class Report:
    """Every verdict of a run, in file and case order."""

    def __init__(self, verdicts):
        self.verdicts = verdicts

    def of(self, status):
        return [v for v in self.verdicts if v.status == status]

    @property
    def failures(self):
        return self.of("fail")

    def failed_ids(self, family=None):
        """The ids of the cases with a failed check (optionally of one family), sorted."""
        return sorted({v.check.case.id for v in self.failures
                       if family is None or v.check.case.family == family})

    def summary(self):
        return "netipc vectors: %d passed, %d failed, %d skipped" % (
            len(self.of("pass")), len(self.failures), len(self.of("skip")))

    @property
    def ok(self):
        return not self.failures


def _need(cond, path, what):
    if not cond:
        raise VectorFileError("%s: %s" % (path, what))


def load(vectors_dir):
    """Reads every *.json file of `vectors_dir` (sorted by name) and returns the list of
    `Case`s in file and case order. Raises VectorFileError for a missing directory, a directory
    without vector files, a file that is not JSON or does not follow the vector file schema;
    nothing is silently dropped."""
    directory = Path(vectors_dir)
    _need(directory.is_dir(), directory, "not a directory")
    paths = sorted(directory.glob("*.json"))
    _need(paths, directory, "no *.json vector files")
    cases = []
    for path in paths:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise VectorFileError("%s: cannot read: %s" % (path, e)) from None
        _need(isinstance(doc, dict), path, "not a JSON object")
        _need(doc.get("schema_version") == SCHEMA_VERSION, path,
              "schema_version %r, this harness reads %d" % (doc.get("schema_version"),
                                                           SCHEMA_VERSION))
        family = doc.get("family")
        _need(isinstance(family, str) and family, path, "no family")
        _need(isinstance(doc.get("cases"), list) and doc["cases"], path, "no cases")
        if doc.get("input") == "steps":
            # Session vectors: conversations nipc-peer replays against a live implementation;
            # they hold no decoder case of their own.
            continue
        for n, raw in enumerate(doc["cases"], 1):
            where = "case %d" % n
            _need(isinstance(raw, dict), path, where + " is not an object")
            for key, kind in (("id", int), ("name", str), ("requirements", list),
                              ("flags", list), ("result", str)):
                _need(isinstance(raw.get(key), kind), path,
                      "%s: %r missing or not a %s" % (where, key, kind.__name__))
            _need(raw["result"] in RESULTS, path, "%s: result %r" % (where, raw["result"]))
            _need(raw["result"] != "valid" or isinstance(raw.get("fields"), dict), path,
                  where + ": a valid case needs fields")
            _need(raw["result"] != "invalid" or isinstance(raw.get("error"), str), path,
                  where + ": an invalid case needs error")
            _need(sum(k in raw for k in ("hex", "packets")) <= 1, path,
                  where + ": both hex and packets")
            try:
                cases.append(Case(path, family, raw))
            except (TypeError, ValueError) as e:
                raise VectorFileError("%s: %s: %s" % (path, where, e)) from None
    return cases


def checks(vectors_dir):
    """Every check of every case, for pytest.mark.parametrize(..., ids=str): the decode of
    each case and, for a valid Canonical case with bytes, the encoding of its fields."""
    out = []
    for case in load(vectors_dir):
        out.append(Check(case, "decode"))
        if case.result == "valid" and "Canonical" in case.flags and case.hex is not None:
            out.append(Check(case, "encode"))
    return out


def rejection_packet(status):
    """The canonical HELLO_ACK rejection packet for a status name such as "AuthFailed":
    the outer header (CONTROL, HELLO_ACK, the status, payload_len 48, item_count 1,
    message_id 0) and a payload of layout_version 1 and zeros."""
    import struct
    header = struct.pack("<IHHHHHHIIQ", 0x4E495043, 1, 32, 3, 0, 2, STATUS_CODES[status],
                         48, 1, 0)
    return header + struct.pack("<H", 1) + bytes(46)


def _pick(fn, family, what):
    if fn is None:
        return None
    if isinstance(fn, dict):
        return fn.get(family)
    return fn


def _canonical(value):
    """JSON-normalised value, so that a decoder may return tuples or ints of any kind."""
    return json.loads(json.dumps(value))


def check(chk, decode, encode=None, lenient_errors=False):
    """Runs one check and returns its Verdict. An exception from your function is a fail that
    names the exception (it is not taken as a rejection: reject with Invalid)."""
    case = chk.case
    fn = _pick(encode if chk.kind == "encode" else decode, case.family, chk.kind)
    if fn is None:
        return Verdict(chk, "skip", "no %s for family %s" % (
            "encoder" if chk.kind == "encode" else "decoder", case.family))
    try:
        out = fn(case)
    except Exception as e:  # noqa: BLE001 - the user's code may raise anything; report it
        return Verdict(chk, "fail", "%s raised %s: %s" % (chk.kind, type(e).__name__, e))
    if isinstance(out, dict):
        out = Valid(out)
    if isinstance(out, Unsupported):
        return Verdict(chk, "skip", out.reason or "unsupported")
    if chk.kind == "encode":
        return _judge_encode(chk, out)
    return _judge_decode(chk, out, lenient_errors)


def _judge_encode(chk, out):
    want = chk.case.data
    if isinstance(out, Invalid):
        return Verdict(chk, "fail", "the encoder refused the fields: %s" % out.error)
    if not isinstance(out, (bytes, bytearray)):
        return Verdict(chk, "fail", "the encoder returned %r, expected bytes" % (out,))
    if bytes(out) != want:
        return Verdict(chk, "fail", "encoded %s, expected %s" % (bytes(out).hex(), want.hex()))
    return Verdict(chk, "pass")


def _judge_decode(chk, out, lenient_errors):
    case = chk.case
    if not isinstance(out, (Valid, Invalid)):
        return Verdict(chk, "fail", "the decoder returned %r, expected a dict, Valid, Invalid "
                                    "or Unsupported" % (out,))
    if isinstance(out, Invalid) and out.packet is not None and case.family == "handshake_decide":
        status = (case.error or "")[len("Status"):] if (case.error or "").startswith("Status") \
            else None
        if status in STATUS_CODES and bytes(out.packet) != rejection_packet(status):
            return Verdict(chk, "fail", "rejection packet %s, expected %s" % (
                bytes(out.packet).hex(), rejection_packet(status).hex()))
    if case.result == "valid":
        if isinstance(out, Invalid):
            return Verdict(chk, "fail", "rejected a valid case with %s" % out.error)
        return _compare_fields(chk, out.fields)
    if case.result == "invalid":
        if isinstance(out, Valid):
            return Verdict(chk, "fail", "accepted an invalid case (expected %s)" % case.error)
        if out.error != case.error:
            if lenient_errors:
                return Verdict(chk, "pass", "rejected with %s (expected class %s)" % (
                    out.error, case.error))
            return Verdict(chk, "fail", "rejected with %s, expected %s" % (out.error, case.error))
        return Verdict(chk, "pass")
    # acceptable: either verdict, but an acceptance must decode the reference's fields
    if isinstance(out, Valid) and case.fields is not None:
        verdict = _compare_fields(chk, out.fields)
        if verdict.status != "pass":
            return verdict
    return Verdict(chk, "pass", "acceptable: %s" % ("accepted" if isinstance(out, Valid)
                                                    else "rejected with " + out.error))


def _compare_fields(chk, fields):
    try:
        got = _canonical(fields)
    except (TypeError, ValueError) as e:
        return Verdict(chk, "fail", "fields are not JSON values: %s" % e)
    want = chk.case.fields
    if got == want:
        return Verdict(chk, "pass")
    if isinstance(got, dict):
        # Name the first key that differs: most fields objects are flat.
        keys = [k for k in want if k not in got or got[k] != want[k]] + \
               [k for k in got if k not in want]
        return Verdict(chk, "fail", 'fields differ at "%s": expected %s, got %s' % (
            keys[0], _text(want, keys[0]), _text(got, keys[0])))
    return Verdict(chk, "fail", "fields differ: expected %s, got %s" % (
        json.dumps(want, sort_keys=True), json.dumps(got, sort_keys=True)))


def _text(obj, key):
    return json.dumps(obj[key], sort_keys=True) if key in obj else "(absent)"


def verify(chk, decode, encode=None, lenient_errors=False):
    """For pytest or a hand-written test: runs one check and raises AssertionError on a fail,
    unittest.SkipTest on a skip (pytest and unittest both show it as skipped)."""
    __tracebackhide__ = True  # pytest: show the verdict line, not this frame
    verdict = check(chk, decode, encode, lenient_errors)
    if verdict.status == "fail":
        raise AssertionError(verdict.line())
    if verdict.status == "skip":
        raise unittest.SkipTest(verdict.line())
    return verdict


def run(vectors_dir, decode, encode=None, lenient_errors=False, match=None):
    """Runs every check (of the cases whose key matches the regular expression `match`, when
    given) and returns the Report. Raises VectorFileError when the vectors cannot be read."""
    selected = [c for c in checks(vectors_dir) if match is None or re.search(match, c.key)]
    return Report([check(c, decode, encode, lenient_errors) for c in selected])


class VectorTests:
    """A mixin for unittest: `class MyVectors(nipc_vectors.VectorTests, unittest.TestCase)`
    with `vectors_dir` and `decode` set (and optionally `encode`, `lenient_errors`), and
    unittest runs every check as a subTest of `test_vectors`: a failed check fails the test, a
    skipped check is reported as a skip. `decode` / `encode` are plain functions (wrap them in
    staticmethod() when they are methods) or dicts {family: function}."""

    vectors_dir = None
    decode = None
    encode = None
    lenient_errors = False

    def test_vectors(self):
        if type(self).vectors_dir is None or type(self).decode is None:
            self.fail("set vectors_dir and decode on %s" % type(self).__name__)
        report = run(type(self).vectors_dir, type(self).decode, type(self).encode,
                     type(self).lenient_errors)
        for verdict in report.verdicts:
            with self.subTest(verdict.check.key):
                if verdict.status == "fail":
                    self.fail(verdict.line())
                elif verdict.status == "skip":
                    self.skipTest(verdict.line())
        print(report.summary())
        if not report.of("pass") and not report.failures:
            self.skipTest(report.summary() + ": no check passed, nothing was verified")
