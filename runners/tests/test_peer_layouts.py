"""The test peer keeps its own wire layouts (conformance/peer/wire_layout.h): no peer source
includes the reference's layout headers or names the reference's layout namespaces, so a
shifted field in the reference cannot be shared by the judge."""
import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / "conformance" / "peer"
REFERENCE_LAYOUT_HEADERS = re.compile(
    r'#include\s+"nipc/(codec/(header|hello|chunk|batch)\.h|transport/(shm|shm_layout)\.h)"')
REFERENCE_LAYOUT_NAMES = re.compile(
    r"\b(header_layout|hello_layout|ack_layout|chunk_layout|batch_entry_layout|shm_layout)::|"
    r"\b(BatchView|decode_header|decode_hello|decode_hello_ack|decode_chunk_header)\b|"
    r"\b(load|store)_u(16|32|64)le\b")
OWN_LAYOUT_FILES = ("wire.cpp", "wire.h", "shm_raw_posix.cpp", "shm_raw.h", "wire_layout.h")


class PeerLayoutsTest(unittest.TestCase):
    def test_no_peer_source_includes_a_reference_layout_header(self):
        offenders = [p.name for p in sorted(PEER.iterdir()) if p.suffix in (".cpp", ".h")
                     and REFERENCE_LAYOUT_HEADERS.search(p.read_text())]
        self.assertEqual(offenders, [])

    def test_the_peers_wire_and_region_code_use_only_its_own_offsets_and_byte_order(self):
        offenders = {name: REFERENCE_LAYOUT_NAMES.findall((PEER / name).read_text())
                     for name in OWN_LAYOUT_FILES}
        self.assertEqual({k: v for k, v in offenders.items() if v}, {})

    def test_the_checks_recognise_a_borrowed_layout(self):
        self.assertTrue(REFERENCE_LAYOUT_HEADERS.search('#include "nipc/codec/header.h"'))
        self.assertTrue(REFERENCE_LAYOUT_NAMES.search("load_u32le(p + header_layout::kCode)"))


if __name__ == "__main__":
    unittest.main()
