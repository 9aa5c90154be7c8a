"""``mlip systems``: list, show, run and train the running example systems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlip.cli._output import console, format_number, print_json, progress_bar
from mlip.errors import UsageError

app = typer.Typer(
    help="The running example systems: look at their architecture, simulate and retrain them.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]
CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="Use this model file (from `mlip systems train`) instead of the shipped one.",
    ),
]


def _parse_condition_options(values: list[str] | None) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"--condition expects NAME=VALUE, got {item!r}")
        parsed[key.strip()] = value.strip()
    return parsed


@app.command("list")
def list_command(json_output: JsonOption = False) -> None:
    """List the installed systems.

    Example: mlip systems list
    """
    from rich.table import Table

    from mlip.services.systems import list_systems

    systems = list_systems()
    if json_output:
        print_json([s.to_dict() for s in systems])
        return
    table = Table(title="Running example systems", title_justify="left")
    table.add_column("name", style="bold cyan")
    table.add_column("title")
    table.add_column("what it is")
    for s in systems:
        table.add_row(s.name, s.title, s.summary)
    console.print(table)


@app.command("show")
def show_command(
    system: Annotated[str, typer.Argument(help="System name, e.g. toaster.")],
    checkpoint: CheckpointOption = None,
    json_output: JsonOption = False,
) -> None:
    """Draw a system's architecture: ML and non-ML components, extension points, telemetry.

    Example: mlip systems show toaster
    """
    from rich.markup import escape as e
    from rich.tree import Tree

    from mlip.services.systems import describe_system

    info = describe_system(name=system, checkpoint=checkpoint)
    if json_output:
        print_json(info.to_dict())
        return
    # Every text from a system is escaped: descriptions such as "[text, probability]" are data,
    # not rich markup.
    tree = Tree(f"[bold]{e(info.title)}[/] ([cyan]{e(info.name)}[/]) — {e(info.summary)}")
    comps = tree.add("[bold]components[/]")
    for c in info.components:
        tag = "[magenta]ML[/]" if c.kind.value == "ml" else "[green]non-ML[/]"
        node = comps.add(f"{tag} [bold]{e(c.name)}[/]: {e(c.description)}")
        if c.consumes:
            node.add(f"[dim]consumes:[/] {e(', '.join(c.consumes))}")
        if c.produces:
            node.add(f"[dim]produces:[/] {e(', '.join(c.produces))}")
    origin = "shipped with mlip" if info.shipped_checkpoint else "given with --checkpoint"
    tree.add(f"[bold]model checkpoint[/] ({origin}): {e(info.checkpoint)}")
    ext = tree.add("[bold]extension points[/] (what assignments fill in)")
    for point in info.extension_points:
        node = ext.add(
            f"[yellow]{e(point.kind)}[/] [bold]{e(point.name)}[/] → {e(point.attaches_to)}"
        )
        node.add(f"[cyan]{e(point.signature)}[/]")
        node.add(e(point.description))
    if info.conditions:
        cond = tree.add("[bold]environment conditions[/] (--condition NAME=VALUE)")
        for condition in info.conditions:
            values = e(", ".join(condition.values))
            cond.add(f"[bold]{e(condition.name)}[/] ∈ {{{values}}}: {e(condition.description)}")
    if info.metrics:
        metrics = tree.add("[bold]metrics[/] (mlip systems run)")
        for metric, meaning in info.metrics:
            metrics.add(f"[bold]{e(metric)}[/]: {e(meaning)}")
    tel = tree.add("[bold]telemetry events[/] (JSON lines)")
    for schema in info.telemetry:
        fields = e(", ".join(f.name for f in schema.fields))
        tel.add(f"[bold]{e(schema.event)}[/]: {e(schema.description)} [dim]({fields})[/]")
    if info.notes:
        notes = tree.add("[bold]notes[/]")
        for note in info.notes:
            notes.add(e(note))
    console.print(tree)


def _render_run(result: Any) -> None:
    from rich.columns import Columns
    from rich.table import Table

    conditions = ", ".join(f"{k}={v}" for k, v in sorted(result.conditions.items()))
    console.print(
        f"[bold]{result.system}[/]: {result.n:,} sessions, seed {result.seed}"
        + (f", conditions {conditions}" if conditions else "")
    )
    model = Table(title="model quality", title_justify="left")
    model.add_column("metric")
    model.add_column("value", justify="right")
    for key, value in sorted(result.model.items()):
        model.add_row(key, format_number(value))
    system = Table(title="system quality", title_justify="left")
    system.add_column("metric")
    system.add_column("value", justify="right")
    for key, value in sorted(result.system_metrics.items()):
        system.add_row(key, format_number(value))
    console.print(Columns([model, system], padding=(0, 4)))
    console.print("[dim]A good model is not a good system: read the two tables side by side.[/]")


def _render_loop(result: Any) -> None:
    from rich.table import Table

    def shown(value: float | None) -> str:
        return "—" if value is None else format_number(value)

    design = result.design
    table = Table(
        title=f"{result.system}: feedback loop, design {design.name} "
        f"(labels: {design.label_source}, exploration {design.exploration_share:.0%}), "
        f"seed {result.seed}",
        title_justify="left",
    )
    metric = result.quality_metric
    for column in ("round", "new model", "labels", "cost"):
        table.add_column(column, justify="right")
    table.add_column(f"{metric} all", justify="right", style="bold")
    table.add_column(f"{metric} labelled", justify="right")
    table.add_column(f"{metric} hold-out", justify="right")
    if result.fairness_metric is not None:
        table.add_column("gap", justify="right")
    table.add_column("value", justify="right", style="bold")
    for r in result.rounds:
        row = [
            str(r.round),
            "yes" if r.retrained else "no",
            format_number(r.new_labels),
            format_number(r.label_cost),
            shown(r.quality),
            shown(r.labelled_quality),
            shown(r.holdout_quality),
        ]
        if result.fairness_metric is not None:
            row.append(shown(r.fairness_gap))
        table.add_row(*row, shown(r.value))
    console.print(table)
    fairness = f"; gap: {result.fairness_metric}" if result.fairness_metric else ""
    console.print(
        f"[dim]all: the whole population against the hidden truth; labelled: the rows "
        f"this design labelled, against those labels; value: {result.value_metric}"
        f"{fairness}. {result.seconds:.1f} s.[/]",
        soft_wrap=True,
    )


@app.command("run")
def run_command(
    system: Annotated[str, typer.Argument(help="System name, e.g. toaster.")],
    n: Annotated[
        int | None, typer.Option("--n", help="Number of sessions (default: the system's own).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated environment.")] = 0,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", "-c", help="Environment condition NAME=VALUE (repeatable)."),
    ] = None,
    telemetry: Annotated[
        Path | None, typer.Option("--telemetry", help="Write every event to this JSON-lines file.")
    ] = None,
    checkpoint: CheckpointOption = None,
    fault: Annotated[
        str | None,
        typer.Option(
            "--fault",
            help="Replace the model by a misbehaving one: nan, inf, negative, huge, constant, "
            "exception or slow.",
        ),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            help="Run the feedback loop: this many rounds of --n users, retraining after each.",
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option("--design", help="Loop design for --rounds: naive (default) or reference."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Simulate a system and report model quality next to system quality.

    With --rounds the system runs several rounds of its feedback loop: each round it acts with
    the current model, collects the labels the design produces and retrains on them.

    Example: mlip systems run toaster --n 10000 --seed 1 --telemetry toaster.jsonl
    Example: mlip systems run toaster --n 2000 --fault nan
    Example: mlip systems run tax --rounds 5 --design reference
    """
    from mlip.services.systems import run_system, run_system_loop

    if rounds is None and design is not None:
        raise UsageError("--design chooses a feedback-loop design; use it with --rounds")
    if rounds is not None:
        chosen = {} if design is None else {"design": design}
        with progress_bar() as bar:
            task = bar.add_task(f"{system}: feedback loop", total=rounds)

            def report_round(done: int, total: int, description: str) -> None:
                bar.update(task, completed=done, total=total, description=description)

            loop = run_system_loop(
                name=system, rounds=rounds, seed=seed, n=n, progress=report_round, **chosen
            )
        if json_output:
            print_json(loop.to_dict())
        else:
            _render_loop(loop)
        return
    conditions = _parse_condition_options(condition)
    if json_output:
        result = run_system(
            name=system,
            n=n,
            seed=seed,
            conditions=conditions,
            telemetry_path=telemetry,
            checkpoint=checkpoint,
            fault=fault,
        )
        data = result.to_dict()
        if checkpoint is not None:
            data["checkpoint"] = str(checkpoint)
        print_json(data)
        return
    with progress_bar() as bar:
        task = bar.add_task(f"simulating {system}", total=None)

        def report(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        result = run_system(
            name=system,
            n=n,
            seed=seed,
            conditions=conditions,
            telemetry_path=telemetry,
            checkpoint=checkpoint,
            fault=fault,
            progress=report,
        )
    _render_run(result)
    if checkpoint is not None:
        console.print(f"model: [bold]{checkpoint}[/] (instead of the shipped checkpoint)")
    if telemetry is not None:
        console.print(f"telemetry written to [bold]{telemetry}[/]")


@app.command("train")
def train_command(
    system: Annotated[str, typer.Argument(help="System name, e.g. tax.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the training data.")] = 0,
    quick: Annotated[
        bool, typer.Option("--quick", help="Train on a small data set (seconds, lower quality).")
    ] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="Where to write the model (default: ./models/SYSTEM/, never the shipped one).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Retrain a system's ML component from data its simulated environment generates.

    The shipped model stays as it is; use yours with `mlip systems run SYSTEM --checkpoint FILE`.

    Example: mlip systems train toaster --checkpoint my-toaster-model.npz
    """
    from rich.table import Table

    from mlip.services.systems import train_system

    with progress_bar() as bar:
        task = bar.add_task(f"training {system}", total=None)

        def report(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        result = train_system(
            name=system, seed=seed, quick=quick, checkpoint=checkpoint, progress=report
        )
    if json_output:
        print_json(result.to_dict())
        return
    table = Table(title=f"{system}: held-out quality of the retrained model", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in sorted(result.metrics.items()):
        table.add_row(key, format_number(value))
    console.print(table)
    console.print(
        f"trained on {result.n_train:,} sessions, tested on {result.n_test:,}, "
        f"in {result.seconds:.1f} s; checkpoint written to [bold]{result.checkpoint}[/]",
        soft_wrap=True,
    )
    console.print(
        f"Use it with [bold]mlip systems run {system} --checkpoint {result.checkpoint}[/] "
        "(the shipped model is unchanged).",
        soft_wrap=True,
    )


# The transcription service's own command lives in its module; registered here as
# `mlip systems transcribe`.
from mlip.cli.transcribe import record as _record  # noqa: E402
from mlip.cli.transcribe import transcribe as _transcribe  # noqa: E402

app.command("transcribe")(_transcribe)
app.command("record")(_record)
