"""A short run of benchmarks/fault_injection.py: randomized sync sessions against the real server while
it is killed with SIGKILL, connections are cut before and after the answer, pushes are delayed,
duplicated, replayed and reordered, sessions end mid-queue and the disk fills up for moments. Nothing
recorded is lost or stored twice, and a push while the disk is full is told to try again later (503)."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "fault_injection.py"


def load_main():
    spec = importlib.util.spec_from_file_location("fault_injection", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_randomized_sessions_with_kills_cuts_expired_sessions_and_a_full_disk_lose_and_duplicate_nothing(tmp_path):
    result = load_main()(["--sessions", "36", "--seed", "14", "--devices", "3", "--kill-every", "5",
                          "--disk-full-every", "3", "--max-seconds", "90", "--dir", str(tmp_path)])
    assert result["problems"] == []
    assert result["sessions"] == 36
    assert result["items"] >= 36
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["altered"] == 0
    assert result["left"] == 0
    assert result["integrity"] == ["ok"]
    assert result["audit_verify"] in (None, 0)
    # The faults really happened: a run without them would prove nothing.
    assert result["faults"].get("kill", 0) >= 1
    assert result["events"].get("kill_with_a_push_in_flight", 0) >= 1
    for fault in ("drop_before", "drop_after", "duplicate", "expire", "disk_full"):
        assert result["faults"].get(fault, 0) >= 1, fault
    # Pushes met the full disk and were answered 503 with Retry-After (a 500, or a 503 without it,
    # is a problem above); their items were stored once when space returned (lost and duplicated 0).
    assert result["events"].get("answer_503_disk_full", 0) >= 1
