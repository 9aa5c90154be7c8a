"""Requirements and risk: goals, REQ/ASM/SPEC statements over telemetry, fault trees.

Students build these objects in the ``requirements`` assignments; the checks evaluate them on
simulated runs of a system. Everything here is plain Python (no numpy), so a notebook can import
it instantly and the objects turn into plain data with ``to_dict()``.
"""

from __future__ import annotations

from mlip.requirements._fault_tree import (
    BasicEvent,
    FaultTree,
    FaultTreeError,
    Gate,
    Mitigation,
    and_gate,
    atleast_gate,
    cut_set_distribution,
    fault_tree_from_dict,
    minimal_cut_sets,
    mitigation_from_dict,
    or_gate,
    removed_cut_sets,
    tree_problems,
)
from mlip.requirements._goals import GOAL_LEVELS, Goal, goal_from_dict
from mlip.requirements._requirements import (
    AGGREGATES,
    BOUNDS,
    Assumption,
    Evaluation,
    Requirement,
    Specification,
    evaluate,
    requirement_from_dict,
    schema_problems,
)

__all__ = [
    "AGGREGATES",
    "BOUNDS",
    "GOAL_LEVELS",
    "Assumption",
    "BasicEvent",
    "Evaluation",
    "FaultTree",
    "FaultTreeError",
    "Gate",
    "Goal",
    "Mitigation",
    "Requirement",
    "Specification",
    "and_gate",
    "atleast_gate",
    "cut_set_distribution",
    "evaluate",
    "fault_tree_from_dict",
    "goal_from_dict",
    "minimal_cut_sets",
    "mitigation_from_dict",
    "or_gate",
    "removed_cut_sets",
    "requirement_from_dict",
    "schema_problems",
    "tree_problems",
]
