"""docs/security.md names, for each threat, the test that proves its control (issue 14): every
test it names exists, so the threat model cannot silently point at a test that was renamed."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`((?:, `::\w+`)*)")


def named_tests():
    text = (ROOT / "docs" / "security.md").read_text()
    for match in REFERENCE.finditer(text):
        path, first, more = match.groups()
        yield path, first
        for name in re.findall(r"`::(\w+)`", more):
            yield path, name


def test_every_test_the_threat_model_names_exists():
    named = list(named_tests())
    assert len(named) > 40
    missing = [f"{path}::{name}" for path, name in named
               if not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M)]
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
