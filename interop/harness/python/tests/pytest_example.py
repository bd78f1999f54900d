"""The pytest way of using nipc_vectors, run by check_pytest.py: one pytest test per check,
ids family/id-name[.encode]. NIPC_HARNESS_TOY=wrong plugs in the wrong toy decoder."""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import nipc_vectors as nv  # noqa: E402
import toy_codecs as toy  # noqa: E402

VECTORS = os.environ.get("NIPC_VECTORS_DIR", str(HERE.parents[3] / "vectors"))
DECODE = toy.WRONG_DECODE if os.environ.get("NIPC_HARNESS_TOY") == "wrong" else toy.CORRECT_DECODE


@pytest.mark.parametrize("check", nv.checks(VECTORS), ids=str)
def test_vector(check):
    nv.verify(check, DECODE, toy.CORRECT_ENCODE)
