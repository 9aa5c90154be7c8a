"""Convert public benchmark fault trees (Open-PSA MEF XML, as shipped by SCRAM) to our JSON.

The trees and their published minimal-cut-set results come from SCRAM
(https://github.com/rakhimov/scram): the XML files under its ``input/`` folder and the counts,
order distributions or full cut-set lists its own tests assert (``tests/bench_*_tests.cc``).
Only trees whose result is published there are converted; ``PUBLISHED`` below copies those
results by hand, next to the test file that states them.

Run: `.venv/bin/python benchmarks/fault_trees_from_mef.py SCRAM` where SCRAM is a checkout of
that repository or a bare clone (read with ``git show HEAD:path``); it rewrites
``tests/requirements/data/benchmark_trees/*.json``. Only coherent trees convert: AND, OR and
ATLEAST formulas (nested ones become gates named ``<gate>.<n>``), references to gates and basic
events; anything else (NOT, XOR, house events, CCF groups...) raises :class:`ConversionError`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "requirements" / "data" / "benchmark_trees"

#: name -> (XML file in SCRAM, SCRAM test stating the result, published result). A result is
#: ``cut_sets`` (how many) with ``distribution`` (how many of each order, order 1 first) and/or
#: ``mcs`` (the full list).
PUBLISHED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "chinese": (
        "input/Chinese/chinese.xml",
        "tests/bench_chinese_tree_tests.cc",
        {"cut_sets": 392, "distribution": [0, 12, 0, 24, 188, 168]},
    ),
    "baobab1": (
        "input/Baobab/baobab1.xml",
        "tests/bench_baobab1_tests.cc",
        {
            "cut_sets": 46188,
            "distribution": [0, 1, 1, 70, 400, 2212, 14748, 8460, 10624, 6600, 3072],
        },
    ),
    "baobab2": (
        "input/Baobab/baobab2.xml",
        "tests/bench_baobab2_tests.cc",
        {"cut_sets": 4805, "distribution": [0, 6, 121, 268, 630, 3780]},
    ),
    "hipps": (
        "input/HIPPS/HIPPS.xml",
        "tests/bench_hipps_tests.cc",
        {"cut_sets": 9, "distribution": [6, 3]},
    ),
    "bscu": (
        "input/BSCU/BSCU.xml",
        "tests/bench_bscu_tests.cc",
        {
            "cut_sets": 10,
            "mcs": [
                ["SwitchStuckInIntermediatePosition"],
                ["ValidityMonitorFailure"],
                ["LossOfSystem1PowerSupply", "LossOfSystem2PowerSupply"],
                ["LossOfSystem1PowerSupply", "SwitchStuckInPosition1"],
                ["LossOfSystem1PowerSupply", "System2ElectronicFailure"],
                ["LossOfSystem2PowerSupply", "SwitchStuckInPosition2"],
                ["LossOfSystem2PowerSupply", "System1ElectronicFailure"],
                ["SwitchStuckInPosition1", "System1ElectronicFailure"],
                ["SwitchStuckInPosition2", "System2ElectronicFailure"],
                ["System1ElectronicFailure", "System2ElectronicFailure"],
            ],
        },
    ),
    "lift": (
        "input/Lift/lift.xml",
        "tests/bench_lift_tests.cc",
        {
            "cut_sets": 12,
            "mcs": [
                ["LMD_1"],
                ["DPD_1"],
                ["DM_1"],
                ["PS_1"],
                ["DOD_1"],
                ["DOD_2"],
                ["DMS_1"],
                ["CP_1"],
                ["DMS_2"],
                ["LMD_2"],
                ["LPD_1"],
                ["D_1"],
            ],
        },
    ),
    "ne574": (
        "input/ne574/ne574.xml",
        "tests/bench_ne574_tests.cc",
        {
            "cut_sets": 7,
            "mcs": [
                ["C"],
                ["D", "F"],
                ["D", "G"],
                ["D", "B"],
                ["H", "I", "F"],
                ["H", "I", "G"],
                ["H", "I", "B"],
            ],
        },
    ),
    "small_tree": (
        "input/SmallTree/SmallTree.xml",
        "tests/bench_small_tree_tests.cc",
        {"cut_sets": 2, "mcs": [["e1", "e2"], ["e3", "e4"]]},
    ),
    "theatre": (
        "input/Theatre/theatre.xml",
        "tests/bench_theatre_tests.cc",
        {"cut_sets": 2, "mcs": [["Gen_Fail", "Mains_Fail"], ["Mains_Fail", "Relay_Fail"]]},
    ),
    "two_train": (
        "input/TwoTrain/two_train.xml",
        "tests/bench_two_train_tests.cc",
        {
            "cut_sets": 4,
            "mcs": [
                ["ValveOne", "ValveTwo"],
                ["ValveOne", "PumpTwo"],
                ["ValveTwo", "PumpOne"],
                ["PumpOne", "PumpTwo"],
            ],
        },
    ),
}

_REFERENCES = {"event", "gate", "basic-event"}
_IGNORED = {"label", "attributes"}


class ConversionError(ValueError):
    """The XML uses something our coherent AND/OR/ATLEAST trees cannot express."""


def _formula(element: ET.Element) -> ET.Element:
    children = [child for child in element if child.tag not in _IGNORED]
    if len(children) != 1:
        raise ConversionError(f"gate {element.get('name')!r} has {len(children)} formulas")
    return children[0]


def tree_from_mef(xml: str) -> dict[str, Any]:
    """The one fault tree in an Open-PSA MEF document as :meth:`FaultTree.to_dict` data."""
    root = ET.fromstring(xml)
    definitions = [element for element in root.iter("define-gate")]
    gate_names = {str(element.get("name")) for element in definitions}
    if any(True for _ in root.iter("define-house-event")) or any(
        True for _ in root.iter("define-CCF-group")
    ):
        raise ConversionError("house events and CCF groups are not supported")
    gates: list[dict[str, Any]] = []
    events: list[str] = []
    referenced: set[str] = set()

    def add_gate(name: str, formula: ET.Element) -> None:
        pending = [(name, formula)]
        while pending:
            gate_name, node = pending.pop(0)
            if node.tag in _REFERENCES:  # a gate that passes one input through
                kind, operands, k = "OR", [node], None
            elif node.tag in ("and", "or"):
                kind, operands, k = node.tag.upper(), list(node), None
            elif node.tag == "atleast":
                kind, operands, k = "ATLEAST", list(node), int(str(node.get("min")))
            else:
                raise ConversionError(f"gate {gate_name!r} uses <{node.tag}>")
            inputs: list[str] = []
            for number, operand in enumerate(operands, start=1):
                if operand.tag in _REFERENCES:
                    child = str(operand.get("name"))
                    if operand.tag == "gate" and child not in gate_names:
                        raise ConversionError(f"gate {child!r} is not defined")
                    if child not in gate_names and child not in events:
                        events.append(child)
                else:  # a nested formula becomes its own gate
                    child = f"{gate_name}.{number}"
                    pending.append((child, operand))
                referenced.add(child)
                inputs.append(child)
            gate: dict[str, Any] = {"name": gate_name, "kind": kind, "inputs": inputs}
            if k is not None:
                gate["k"] = k
            gates.append(gate)

    for element in definitions:
        add_gate(str(element.get("name")), _formula(element))
    tops = [gate["name"] for gate in gates if gate["name"] not in referenced]
    if len(tops) != 1:
        raise ConversionError(f"expected one top gate, found {tops}")
    return {
        "top": tops[0],
        "gates": gates,
        "basic_events": [{"name": name} for name in events],
    }


def _read(scram: Path, path: str) -> str:
    if (scram / path).is_file():
        return (scram / path).read_text()
    done = subprocess.run(
        ["git", "-C", str(scram), "show", f"HEAD:{path}"], capture_output=True, check=True
    )
    return done.stdout.decode()


def _commit(scram: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(scram), "rev-parse", "HEAD"], capture_output=True, check=False
    )
    return done.stdout.decode().strip() or "unknown"


def main(argv: list[str]) -> None:
    """Convert every tree in :data:`PUBLISHED` from the SCRAM repository at ``argv[0]``."""
    if len(argv) != 1:
        raise SystemExit("usage: fault_trees_from_mef.py SCRAM_CHECKOUT_OR_BARE_CLONE")
    scram = Path(argv[0])
    commit = _commit(scram)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (path, test, published) in PUBLISHED.items():
        tree = tree_from_mef(_read(scram, path))
        record = {
            "name": name,
            "source": f"rakhimov/scram@{commit}:{path}",
            "published_in": f"rakhimov/scram@{commit}:{test}",
            "published": published,
            "tree": tree,
        }
        target = OUT / f"{name}.json"
        target.write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(f"{name:12} {len(tree['gates']):4} gates {len(tree['basic_events']):4} events")


if __name__ == "__main__":
    main(sys.argv[1:])
