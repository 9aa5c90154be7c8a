"""One page per running system, generated from the system itself.

The architecture diagram comes from ``components()``, the environment table from
``conditions()``, the extension points and telemetry tables from their methods, and the metrics
from a real (small) run of the system with its committed model, next to a run where the model is
replaced by a faulty one: the page shows that model quality and system quality differ.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from mlip.systems import Component, RunResult, System, data_flow, get_system, system_names

from ._markdown import cell, code, table
from .architecture import architecture_svg

__all__ = ["DOCS_RUN_N", "SystemPage", "system_page", "system_pages"]

#: Size of the runs whose metrics the pages show; small so the docs build stays quick.
DOCS_RUN_N = 1000
#: The faulty model the comparison column uses (one of ``FAULT_KINDS``).
FAULT_FOR_COMPARISON = "nan"


@dataclass(frozen=True)
class SystemPage:
    """The generated Markdown of one system and its architecture SVG."""

    name: str
    title: str
    markdown: str
    svg: str
    seconds: float


def _run_size(system: System) -> int:
    return min(system.default_n, DOCS_RUN_N)


def _metric_rows(healthy: RunResult, faulty: RunResult) -> list[list[str]]:
    rows = []
    for group, values, other in (
        ("model", healthy.model, faulty.model),
        ("system", healthy.system_metrics, faulty.system_metrics),
    ):
        for key in sorted(values):
            after = other.get(key)
            rows.append(
                [
                    group,
                    code(key),
                    f"{values[key]:.4g}",
                    "—" if after is None else f"{after:.4g}",
                ]
            )
    return rows


def _consumed(component: Component, item: str) -> str:
    """An item a component consumes, with the producer it reads it from when it names one."""
    source = component.sources.get(item)
    return code(item) + (f" (from {cell(source)})" if source else "")


def _architecture_intro(components: Sequence[Component]) -> str:
    """What the diagram shows; it speaks of feedback loops only when the system has one."""
    text = (
        "Every box is one component; an arrow runs from the component that produces an item "
        "to each component that consumes it, with the item written once next to its "
        "producer. Orange boxes are learned from data; blue ones are ordinary code, hardware "
        "or people."
    )
    loops = [flow for flow in data_flow(components) if flow.feedback]
    if not loops:
        return text + " No data comes back to the component it came from, so no arrow is dashed.\n"
    closing = "; ".join(f"`{flow.source}` → `{flow.target}`" for flow in loops)
    return (
        text + " Dashed arrows close a feedback loop: what a component caused comes back to "
        f"it ({closing}).\n"
    )


def system_page(name: str) -> SystemPage:
    """Generate the page of the system registered as ``name`` (runs it, a few seconds)."""
    started = time.perf_counter()
    system = get_system(name)
    components = system.components()
    n = _run_size(system)
    healthy = system.run(n=n, seed=0)
    faulty = system.run(n=n, seed=0, model=system.faulty_model(FAULT_FOR_COMPARISON))

    parts = [
        f"# {system.title}\n",
        f"{system.summary}\n",
        '!!! tip "Try it"\n'
        f"    `mlip systems show {name}` draws this architecture in your terminal, "
        f"`mlip systems run {name} --n 1000` simulates it and "
        f"`mlip systems train {name}` retrains its model from data the environment generates.\n",
        "## Architecture\n",
        _architecture_intro(components),
        f"![Architecture of the {cell(system.title)}]({name}-architecture.svg)\n",
        table(
            ["component", "kind", "what it does", "consumes", "produces"],
            (
                [
                    f"**{cell(c.name)}**",
                    "ML" if c.kind.value == "ml" else "non-ML",
                    cell(c.description),
                    ", ".join(_consumed(c, item) for item in c.consumes) or "—",
                    ", ".join(code(item) for item in c.produces) or "—",
                ]
                for c in components
            ),
        ),
        "## Environment\n",
        "The environment is a seeded simulator. Conditions switch on the faults and drift that "
        "checks use to test a system; the first value of each is the normal world.\n",
    ]
    conditions = system.conditions()
    if conditions:
        parts.append(
            table(
                ["condition", "values", "what it changes"],
                (
                    [
                        code(c.name),
                        ", ".join(
                            f"**{code(v)}**" if i == 0 else code(v) for i, v in enumerate(c.values)
                        ),
                        cell(c.description),
                    ]
                    for c in conditions
                ),
            )
        )
    else:
        parts.append("This system has no environment conditions.\n")
    parts += [
        "## Model quality and system quality\n",
        f"Measured while this page was built: `run(n={n}, seed=0)` with the committed model, "
        f"and the same run with the model replaced by the `{FAULT_FOR_COMPARISON}` chaos "
        'model (`faulty_model("' + FAULT_FOR_COMPARISON + '")`), with no guards installed. '
        "Model metrics judge the predictions; system metrics judge what happened to users "
        "and the world.\n",
        table(
            ["level", "metric", "committed model", f"`{FAULT_FOR_COMPARISON}` model"],
            _metric_rows(healthy, faulty),
        ),
        "## Extension points\n",
        "Assignments plug student code in here. With no extension installed the system trusts "
        "its model naively.\n",
        table(
            ["name", "kind", "signature", "attaches to", "purpose"],
            (
                [
                    code(e.name),
                    e.kind,
                    code(e.signature),
                    cell(e.attaches_to),
                    cell(e.description),
                ]
                for e in system.extension_points()
            ),
        ),
        "## Telemetry\n",
        "Every prediction and action is logged as one JSON object per line. Each event also "
        "carries `event` (its type) and `t` (a time index that never decreases within a run).\n",
    ]
    for schema in system.telemetry_schema():
        parts.append(f"### `{schema.event}`\n")
        parts.append(f"{schema.description}\n")
        if schema.fields:
            parts.append(
                table(
                    ["field", "type", "meaning"],
                    ([code(f.name), code(f.type), cell(f.description)] for f in schema.fields),
                )
            )
    markdown = "\n".join(parts)
    svg = architecture_svg(system.title, components)
    return SystemPage(name, system.title, markdown, svg, time.perf_counter() - started)


def system_pages() -> list[SystemPage]:
    """Pages of every installed system, in registry order."""
    return [system_page(name) for name in system_names()]
