"""A short run of benchmarks/fault_injection.py in the suite (issue 14, item 7): randomized sync
sessions against the real server with SIGKILLs, dropped connections, lost answers, duplicated and
reordered batches and sessions ended mid-queue: nothing lost, nothing duplicated, the content as
sent, integrity_check and the audit chain pass. The long run is a documented command."""
import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "fault_injection.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("fault_injection", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_fault_injection_run_loses_and_duplicates_nothing(tmp_path):
    figures = load_benchmark().run(sessions=60, rng_seed=14, workdir=tmp_path)
    print(figures)
    assert figures["sessions"] == 60
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["wrong_content"] == 0
    assert figures["left_in_outboxes"] == 0
    assert figures["integrity_check"] == "ok" and figures["audit_entries_verified"] > 0
    injected = {name: value for name, value in figures.items() if name.startswith("faults_")}
    assert all(value > 0 for value in injected.values()), f"every kind of fault was injected: {injected}"
    assert figures["items"] > 60
