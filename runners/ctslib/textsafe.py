"""Implementation output made safe to keep and to show.

An implementation under test may print anything: gigabytes, one endless line, bytes that are
not UTF-8, terminal escape codes, characters XML cannot carry. Everything the runner keeps
of such output is bounded (a head, a tail and the count of what was left out between them)
and everything it shows is visible text (control characters rendered as \\xNN escapes), so
neither the runner's memory, nor a report file, nor the operator's terminal depends on what
the implementation printed.
"""
import re

# What one stream keeps on disk (head + tail) and one string of a report row keeps in memory.
LOG_HEAD = 1 << 20
LOG_TAIL = 1 << 20
TEXT_HEAD = 16 << 10
TEXT_TAIL = 16 << 10
# One line kept in memory (a stdout line scanned for READY, a result line).
LINE_MAX = 64 << 10
# Lines of a stream kept in memory: the first and the last this many.
LINES_HEAD = 200
LINES_TAIL = 200

# C0 controls except tab and newline, DEL, and the C1 controls: what a terminal interprets.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
# What XML 1.0 cannot carry at all, plus the surrogates a lossy decode may leave.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def omitted_marker(count: int) -> str:
    return "[... %d bytes omitted ...]" % count


def clip(text: str, head: int = TEXT_HEAD, tail: int = TEXT_TAIL) -> str:
    """`text` if it is at most head + tail characters long, else its head, a marker naming
    how much was left out, and its tail."""
    if not isinstance(text, str) or len(text) <= head + tail:
        return text
    left = len(text) - head - tail
    return "%s\n%s\n%s" % (text[:head], omitted_marker(left), text[-tail:] if tail else "")


def visible(text: str, one_line: bool = False) -> str:
    """`text` with every control character (and, when `one_line`, newlines and tabs too)
    written as a visible \\xNN escape, so it cannot move a terminal's cursor, change its
    colours or break a Markdown table."""
    if not isinstance(text, str):
        return text
    pattern = _CONTROL_LINE if one_line else _CONTROL
    return pattern.sub(lambda m: "\\x%02x" % ord(m.group()), text)


def xml_text(text: str) -> str:
    """`text` with what XML 1.0 cannot carry written as visible escapes."""
    if not isinstance(text, str):
        text = str(text)
    text = visible(text)
    return _XML_INVALID.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def decode(raw: bytes) -> str:
    """Bytes of implementation output as text: UTF-8 where it is, \\xNN escapes where not."""
    return raw.decode("utf-8", "backslashreplace")


class BoundedLog:
    """A log file that keeps the first `head` and the last `tail` bytes written to it and the
    count of the bytes in between, whatever the writer sends. Owned by one writer thread;
    close() writes the tail and the count."""

    def __init__(self, path, head: int = LOG_HEAD, tail: int = LOG_TAIL):
        self.path = path
        self.head = head
        self.tail = tail
        self.total = 0
        self._file = open(path, "wb")
        self._written = 0
        self._tail = bytearray()

    def write(self, data: bytes):
        self.total += len(data)
        room = self.head - self._written
        if room > 0:
            self._file.write(data[:room])
            self._file.flush()
            self._written += min(room, len(data))
            data = data[room:]
        if data and self.tail:
            self._tail += data
            if len(self._tail) > 2 * self.tail:
                del self._tail[:-self.tail]

    @property
    def omitted(self) -> int:
        return max(0, self.total - self._written - min(len(self._tail), self.tail))

    def close(self):
        if self._file.closed:
            return
        tail = bytes(self._tail[-self.tail:]) if self.tail else b""
        if self.omitted:
            self._file.write(("\n%s\n" % omitted_marker(self.omitted)).encode())
        self._file.write(tail)
        self._file.close()


class BoundedLines:
    """The lines of a stream kept in memory: the first LINES_HEAD and the last LINES_TAIL,
    each at most LINE_MAX characters, and how many were dropped between them."""

    def __init__(self, head: int = LINES_HEAD, tail: int = LINES_TAIL):
        import collections
        self.head_max = head
        self.head = []
        self.tail = collections.deque(maxlen=tail)
        self.dropped = 0

    def append(self, line: str):
        if len(self.head) < self.head_max:
            self.head.append(line)
            return
        if len(self.tail) == self.tail.maxlen:
            self.dropped += 1
        self.tail.append(line)

    def __iter__(self):
        yield from self.head
        if self.dropped:
            yield "[... %d lines omitted ...]" % self.dropped
        yield from self.tail

    def __len__(self):
        return len(self.head) + len(self.tail) + (1 if self.dropped else 0)

    def __getitem__(self, index):
        return list(self)[index]


class LineSplitter:
    """Turns chunks of bytes into lines of at most LINE_MAX bytes (a longer line is cut, its
    rest counted and dropped), so one endless line costs bounded memory."""

    def __init__(self, on_line, line_max: int = LINE_MAX):
        self.on_line = on_line
        self.line_max = line_max
        self._partial = bytearray()
        self._cut = 0

    def feed(self, data: bytes):
        start = 0
        while True:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            room = self.line_max - len(self._partial)
            if room > 0:
                self._partial += piece[:room]
            self._cut += max(0, len(piece) - max(room, 0))
            if nl < 0:
                return
            self._emit()
            start = nl + 1

    def _emit(self):
        line = decode(bytes(self._partial)).rstrip("\r")
        if self._cut:
            line += " " + omitted_marker(self._cut)
        self._partial.clear()
        self._cut = 0
        self.on_line(line)

    def close(self):
        if self._partial or self._cut:
            self._emit()
