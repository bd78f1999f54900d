"""A recording relay between a client and a server over UDS SEQPACKET, packet for packet.

The client is given a run dir where the relay listens as the service; the relay connects to
the server's real socket in another run dir and forwards every packet both ways, recording
them for the evidence pages. When a HELLO_ACK selects a shared-memory profile, the session's
region file is hard-linked into the client's run dir before the ACK is passed on, so the
client finds it where the spec says it is; the link is removed when the session ends.

An optional `mutate(direction, index, data) -> data` changes packets in flight (used to build
deliberately broken implementations for the runner's own tests).
"""
import os
import socket
import threading
import time
from pathlib import Path

from . import hostplatform as host
from . import wire

BUFFER = 4 * 1024 * 1024
KEEP_BYTES = 4096      # bytes of each packet kept for the evidence
KEEP_PACKETS = 400


class SeqProxy:
    def __init__(self, client_dir: Path, server_dir: Path, service: str, mutate=None):
        self.client_dir = Path(client_dir)
        self.server_dir = Path(server_dir)
        self.service = service
        self.listen_path = self.client_dir / (service + ".sock")
        self.upstream_path = self.server_dir / (service + ".sock")
        self.mutate = mutate
        self.packets = []
        self.dropped = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._links = []
        self._socks = []
        self._threads = []
        self._closed = threading.Event()
        self._t0 = time.monotonic()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(str(self.listen_path))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    def _accept_loop(self):
        while not self._closed.is_set():
            try:
                down, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            up = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                up.connect(str(self.upstream_path))
            except OSError as e:
                self._note("relay", "cannot reach the server socket: %s" % e)
                up.close()
                down.close()
                continue
            with self._lock:
                self._socks += [down, up]
            conn = self.connections
            for src, dst, direction in ((down, up, "client→server"),
                                        (up, down, "server→client")):
                t = threading.Thread(target=self._pump, args=(src, dst, direction, conn),
                                     daemon=True)
                t.start()
                self._threads.append(t)

    def _note(self, direction, text):
        with self._lock:
            self.packets.append({"direction": direction, "t": time.monotonic() - self._t0,
                                 "data": b"", "note": text})

    def _record(self, direction, data, conn):
        with self._lock:
            if len(self.packets) >= KEEP_PACKETS:
                self.dropped += 1
                return
            self.packets.append({"direction": direction, "t": time.monotonic() - self._t0,
                                 "data": bytes(data[:KEEP_BYTES]), "length": len(data),
                                 "connection": conn})

    def _pump(self, src, dst, direction, conn):
        buf = bytearray(BUFFER)
        index = 0
        while True:
            try:
                n = src.recv_into(buf)
            except OSError:
                n = 0
            if n == 0:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            data = bytes(buf[:n])
            if direction == "server→client" and index == 0:
                self._link_region(data)
            if self.mutate:
                data = self.mutate(direction, index, data)
            index += 1
            if data is None:  # the mutation dropped it
                continue
            self._record(direction, data, conn)
            try:
                dst.send(data)
            except OSError:
                try:
                    src.shutdown(socket.SHUT_RD)
                except OSError:
                    pass
                return

    def _link_region(self, ack_packet):
        ack = wire.ack_of(ack_packet)
        if not ack or ack[0] != 0 or ack[1] not in (0x02, 0x04):
            return
        name = "%s-%016x.ipcshm" % (self.service, ack[2])
        src, dst = self.server_dir / name, self.client_dir / name
        try:
            host.link_file(src, dst)
            with self._lock:
                self._links.append(dst)
        except OSError as e:
            self._note("relay", "cannot link the region %s: %s" % (name, e))

    def close(self):
        """Stops relaying, closes every connection, removes the listener and region links."""
        self._closed.set()
        try:
            self.listener.close()
        except OSError:
            pass
        self._accept_thread.join(2)
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(2)
        for s in socks:
            s.close()
        for p in [self.listen_path] + self._links:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    def exchange(self):
        """The recorded packets as JSON-ready dicts with hex and annotations."""
        with self._lock:
            packets = list(self.packets)
        out = []
        for i, p in enumerate(packets):
            if "note" in p:
                out.append({"index": i + 1, "direction": p["direction"], "t": round(p["t"], 6),
                            "length": 0, "hex": "", "notes": [p["note"]]})
                continue
            out.append({"index": i + 1, "direction": p["direction"], "t": round(p["t"], 6),
                        "length": p["length"], "connection": p["connection"],
                        "hex": p["data"].hex(), "notes": wire.annotate(p["data"])})
        return out
