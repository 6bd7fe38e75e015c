"""The Python examples of docs/python.md run as written: each ```python block that
defines a test becomes a test file of a pytest run in an empty directory."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

from jpki_mock import find_binary

GUIDE = pathlib.Path(__file__).resolve().parents[3] / "docs" / "python.md"


def python_blocks(markdown):
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


@pytest.mark.skipif(not GUIDE.is_file(), reason="docs/python.md is not beside this checkout")
def test_the_guides_example_tests_pass(tmp_path):
    blocks = [b for b in python_blocks(GUIDE.read_text(encoding="utf-8")) if "def test_" in b]
    assert len(blocks) >= 2, "the guide's example tests were not found"
    for number, block in enumerate(blocks):
        (tmp_path / f"test_guide_{number}.py").write_text(block, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPKI_MOCK_", "PYTEST_"))}
    env["JPKI_MOCK_BIN"] = find_binary()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--noconftest", "-rA"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    assert result.returncode == 0, result.stdout
    assert f"{len(blocks)} passed" in result.stdout, result.stdout
