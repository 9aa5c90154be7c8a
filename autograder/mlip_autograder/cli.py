"""``mlip course ...``: the instructor's commands (registered through the ``mlip.commands`` group).

Each command is a thin wrapper: it calls one service function with keyword arguments and renders
the frozen dataclass it returns, as a rich table or as ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlip.cli.output import console, err_console, print_json, progress_bar
from mlip.errors import ExitCode

app = typer.Typer(
    name="course",
    help="Instructor commands: run a class on nbgrader with a trusted judge and a sandbox.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

CourseOption = Annotated[
    Path | None,
    typer.Option(
        "--course", help="Course folder (default: the one containing the current folder)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _course(path: Path | None) -> Any:
    from mlip_autograder.course import find_course

    return find_course(path)


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the course in.")],
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="Folder of nbgrader sources, one <id>/ each (default: every registered "
            "assignment's: the kit's and a course package's).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Create an nbgrader course with the registered assignments and a secret seed.

    Example: mlip course init ~/mlip-fall
    """
    from mlip_autograder.course import init_course

    report = init_course(directory=directory, sources=sources)
    if json_output:
        print_json(report.to_dict())
        return
    console.print(f"[green]created[/] course {report.course}")
    console.print(f"assignments: {', '.join(report.assignments)}")
    console.print(f"secret seed: {report.secret_file} [dim](kept out of git; back it up)[/]")


@app.command("release")
def release(
    assignment: Annotated[
        str | None, typer.Argument(help="Assignment id, e.g. guards-toaster.")
    ] = None,
    all_assignments: Annotated[
        bool, typer.Option("--all", help="Release every assignment of the course.")
    ] = False,
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Generate the student version (nbgrader generate_assignment) into release/.

    Example: mlip course release guards-toaster
    """
    from mlip.errors import UsageError
    from mlip_autograder.course import release_all, release_assignment

    if (assignment is None) == (not all_assignments):
        raise UsageError("give one assignment id or --all")
    folder = _course(course)
    reports = (
        release_all(course=folder)
        if all_assignments
        else (release_assignment(course=folder, assignment_id=str(assignment)),)
    )
    if json_output:
        print_json(
            reports[0].to_dict()
            if assignment is not None
            else {"released": [report.to_dict() for report in reports]}
        )
        return
    for report in reports:
        console.print(
            f"[green]released[/] {report.assignment} -> {report.release_dir} "
            f"({', '.join(report.notebooks)})"
        )
        for warning in report.warnings:
            err_console.print(f"[yellow]warning:[/] {warning}")


@app.command("collect")
def collect(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    source: Annotated[
        Path, typer.Argument(help="LMS bulk export: the zip, or the folder it unzips to.")
    ],
    export_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="canvas, moodle, gradescope, blackboard or folder (default: from the layout).",
        ),
    ] = None,
    zone: Annotated[
        str,
        typer.Option(
            "--timezone",
            help="Zone of export times stated without one (zip entries, Blackboard names).",
        ),
    ] = "UTC",
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import an LMS export: students by LMS id, submission times, refusals with reasons.

    Exits 1 when an entry was refused (the rest is collected), 2 when the format is unclear.

    Example: mlip course collect guards-toaster ~/Downloads/submissions.zip
    """
    from mlip_autograder.collect import collect as collect_submissions

    report = collect_submissions(
        course=_course(course),
        assignment_id=assignment,
        source=source,
        export_format=export_format,
        zone=zone,
    )
    if json_output:
        print_json(report.to_dict())
    else:
        _render_collect(report)
    if not report.ok:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


def _render_collect(report: Any) -> None:
    from rich.table import Table

    table = Table(
        title=f"{report.assignment}: collected from a {report.export_format} export",
        title_justify="left",
    )
    for column in ("student", "name", "file", "submitted", "late", "action", "message"):
        table.add_column(column)
    colours = {
        "added": "green",
        "replaced": "yellow",
        "kept": "dim",
        "ignored": "dim",
        "refused": "red",
    }
    lateness = {True: "[red]late[/]", False: "on time", None: ""}
    for entry in report.entries:
        colour = colours.get(entry.action, "white")
        table.add_row(
            entry.student,
            entry.name,
            entry.file,
            entry.submitted.replace("T", " ").replace("+00:00", "Z"),
            lateness[entry.late],
            f"[{colour}]{entry.action}[/]",
            entry.message,
        )
    console.print(table)
    console.print(f"{len(report.students)} submission(s) ready to autograde")
    if report.refused:
        err_console.print(
            f"[red]{len(report.refused)} entr{'y' if len(report.refused) == 1 else 'ies'} "
            "refused[/] (see the table); the others were collected"
        )


roster_app = typer.Typer(
    name="roster",
    help="The class roster: import the LMS's CSV, list who is enrolled.",
    no_args_is_help=True,
)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def roster_import(
    csv_file: Annotated[Path, typer.Argument(help="Roster CSV exported from the LMS.")],
    roster_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="canvas, moodle, gradescope, blackboard or generic (default: from the header).",
        ),
    ] = None,
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the roster's students (LMS id, name, email) to the gradebook.

    After an import, collect refuses submissions of students the roster does not list.

    Example: mlip course roster import ~/Downloads/grades.csv
    """
    from mlip_autograder.roster import import_roster

    report = import_roster(course=_course(course), csv_file=csv_file, roster_format=roster_format)
    if json_output:
        print_json(report.to_dict())
        return
    console.print(
        f"[green]imported[/] {len(report.students)} student(s) from a {report.roster_format} "
        f"roster -> gradebook and {report.path}"
    )
    for line, reason in report.skipped:
        console.print(f"[dim]skipped line {line}: {reason}[/]")


@roster_app.command("list")
def roster_list(course: CourseOption = None, json_output: JsonOption = False) -> None:
    """List the imported roster (id, name, email, LMS id).

    Example: mlip course roster list
    """
    from mlip_autograder.roster import list_roster

    report = list_roster(course=_course(course))
    if json_output:
        print_json(report.to_dict())
        return
    if not report.students:
        console.print("no roster imported (collect takes ids and names from the export)")
        return
    from rich.table import Table

    table = Table(
        title=f"roster ({len(report.students)} students, from {report.imported_from})",
        title_justify="left",
    )
    for column in ("id", "name", "email", "LMS id"):
        table.add_column(column)
    for student in report.students:
        table.add_row(student.id, student.name, student.email, student.lms_user_id)
    console.print(table)


@app.command("autograde")
def autograde(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Parallel submissions (default: course).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Judge on a Dask cluster, e.g. tcp://HOST:8786 (default: the course's "
            '[autograde] scheduler; "" for local workers).',
        ),
    ] = None,
    student: Annotated[str | None, typer.Option("--student", help="Only this student.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Regrade graded submissions.")] = False,
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Grade submissions: notebooks run sandboxed, the judge scores system checks.

    Example: mlip course autograde guards-toaster --workers 2

    On a cluster: mlip course autograde guards-toaster --scheduler tcp://grader-head:8786
    """
    import time

    from mlip_autograder.autograde import autograde as run_autograde

    with progress_bar(transient=True) as bar:
        task = bar.add_task(f"autograding {assignment}", total=None)
        started = time.monotonic()
        per_worker: dict[str, tuple[Any, int]] = {}

        def progress(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        def on_grade(grade: Any) -> None:
            """One line per worker: submissions done and their rate."""
            worker = str((grade.job or {}).get("worker", "?"))
            line, count = per_worker.get(worker) or (bar.add_task("", total=None), 0)
            count += 1
            per_minute = 60 * count / max(time.monotonic() - started, 1e-6)
            bar.update(line, completed=count, description=f"  {worker}: {per_minute:.1f}/min")
            per_worker[worker] = (line, count)

        report = run_autograde(
            course=_course(course),
            assignment_id=assignment,
            workers=workers,
            student=student,
            force=force,
            scheduler=scheduler,
            progress=progress,
            on_grade=on_grade,
        )
    if json_output:
        print_json(report.to_dict())
        return
    _render_grades(report)


def _isolation_words(isolation: str) -> str:
    """A jail by name; grading without one in bold red, so nobody misses it."""
    from mlip_autograder._sandbox import WITHOUT_ISOLATION

    if isolation == WITHOUT_ISOLATION:
        return f"[bold red]{WITHOUT_ISOLATION}[/]"
    return f"{isolation} isolation"


def _render_grades(report: Any) -> None:
    from rich.table import Table

    table = Table(
        title=f"{report.assignment}: autograded ({_isolation_words(report.isolation)}, "
        f"{report.workers} worker(s)"
        + (f" on {report.scheduler}" if report.scheduler else "")
        + f", {report.seconds:.1f} s)",
        title_justify="left",
    )
    for column in ("student", "score", "status", "reason"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for grade in report.grades:
        status = grade.status + (" (already graded)" if grade.skipped else "")
        colour = "green" if grade.status == "graded" else "red"
        table.add_row(
            grade.student,
            f"{grade.score:g}/{grade.max_score:g}",
            f"[{colour}]{status}[/]",
            grade.reason,
        )
    console.print(table)


@app.command("feedback")
def feedback(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write nbgrader feedback HTML (check names, points, failing public scenarios, hints).

    Example: mlip course feedback guards-toaster
    """
    from mlip_autograder.course import generate_feedback

    report = generate_feedback(course=_course(course), assignment_id=assignment)
    if json_output:
        print_json(report.to_dict())
        return
    console.print(
        f"[green]feedback[/] for {len(report.files)} submission(s) of {report.assignment}"
    )
    for path in report.files:
        console.print(f"  {path}")


@app.command("grades")
def grades(
    assignment: Annotated[
        str | None, typer.Option("--assignment", "-a", help="Only this assignment.")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write nbgrader's CSV here.")] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Write a CSV with LMS ids, penalties and pending parts."),
    ] = None,
    canvas: Annotated[
        Path | None, typer.Option("--canvas", help="Write a Canvas gradebook-import CSV here.")
    ] = None,
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Scores (late penalties applied, hand grading pending), check pass rates, similar
    submissions, a histogram (PNG) and LMS exports.

    Example: mlip course grades --assignment guards-toaster --canvas canvas.csv
    """
    from mlip_autograder.grades import grades as read_grades

    report = read_grades(
        course=_course(course), csv=csv, assignment=assignment, export=export, canvas=canvas
    )
    if json_output:
        print_json(report.to_dict())
        return
    _render_report(report)


def _score_words(row: dict[str, Any]) -> str:
    """``20/28``, with a late penalty and pending hand-graded points spelled out."""
    words = f"{row['score']:g}/{row['max_score']:g}"
    if row.get("late_penalty"):
        words += f" [red](late: -{row['late_penalty']:g})[/]"
    if row.get("pending_points"):
        words += f" [yellow]+{row['pending_points']:g} pending[/]"
    return words


def _render_report(report: Any) -> None:
    from rich.table import Table

    table = Table(title="grades", title_justify="left")
    for column in ("assignment", "student", "score", "late"):
        table.add_column(column)
    for row in report.rows:
        late = row.get("late", {}).get("note", "on time")
        table.add_row(
            row["assignment"],
            row["student"],
            _score_words(row),
            "" if late == "on time" else late,
        )
    console.print(table)
    if report.without_isolation:
        console.print(
            f"[bold red]{len(report.without_isolation)} submission(s) graded without "
            'isolation[/] (the course set isolation = "none")'
        )
    rates = Table(title="checks", title_justify="left")
    for column in ("assignment", "check", "kind", "pass rate", "mean points"):
        rates.add_column(column)
    for rate in report.checks:
        rates.add_row(
            rate.assignment,
            rate.check,
            "public" if rate.public else "hidden",
            f"{rate.pass_rate:.0%} ({rate.passed}/{rate.submissions})",
            f"{rate.mean_points:g}/{rate.max_points:g}",
        )
    console.print(rates)
    for group in report.similar:
        console.print(
            f"[yellow]similar[/] {group.assignment}: {group.kind} answers from "
            f"{', '.join(group.students)} [dim](for a human to look at; scores unchanged)[/]"
        )
    for note in report.notes:
        err_console.print(f"[yellow]note:[/] {note}")
    if report.csv:
        console.print(f"CSV: {report.csv}")
    for path in report.exports:
        console.print(f"export: {path}")
    if report.histogram:
        console.print(f"histogram: {report.histogram}")


@app.command("gradescope")
def gradescope(
    assignment: Annotated[str, typer.Argument(help="Assignment id.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the autograder zip.")
    ] = Path("autograder.zip"),
    wheels: Annotated[
        Path | None,
        typer.Option("--wheels", help="Folder with the mlip-kit and mlip-autograder wheels."),
    ] = None,
    course: CourseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write a Gradescope autograder zip (our judge and jail in Gradescope's container).

    The zip holds the course's secret seed: upload it to Gradescope, never share it.

    Example: mlip course gradescope guards-toaster -o autograder.zip
    """
    from mlip_autograder.gradescope import build_autograder_zip

    report = build_autograder_zip(
        course=_course(course), assignment_id=assignment, output=output, wheels=wheels
    )
    if json_output:
        print_json(report.to_dict())
        return
    console.print(f"[green]wrote[/] {report.zip} ({len(report.files)} files)")
    console.print(f"wheels: {', '.join(report.wheels)}")
    err_console.print(
        "[yellow]instructors only:[/] the zip contains the course's secret seed; upload it to "
        "Gradescope's autograder settings and never share it"
    )


@app.command("doctor")
def doctor(course: CourseOption = None, json_output: JsonOption = False) -> None:
    """Show which isolation is in effect (and prove it), the limits and versions.

    Example: mlip course doctor
    """
    from mlip.errors import MlipError
    from mlip_autograder.doctor import doctor as run_doctor

    try:
        folder = _course(course).root
    except MlipError:
        folder = None
    report = run_doctor(course=folder)
    if json_output:
        print_json(report.to_dict())
    else:
        colour = "green" if report.isolation["jailed"] else "red"
        console.print(
            f"isolation: [{colour}]{report.isolation['kind']}[/] - {report.isolation['detail']}"
        )
        console.print(f"course asks for: {report.requested}")
        console.print(f"sandbox probe: {report.probe}")
        console.print("limits: " + ", ".join(f"{k}={v}" for k, v in report.limits.items()))
        console.print(f"workers: {report.workers} ({report.cpus})")
        console.print("versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()))
        for problem in report.problems:
            console.print(f"[red]problem:[/] {problem}")
    if not report.ok:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


@app.command("demo")
def demo(
    students: Annotated[int, typer.Option("--students", help="Size of the synthetic class.")] = 30,
    workers: Annotated[int, typer.Option("--workers", help="Parallel submissions.")] = 2,
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Build the demo course here and keep it.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Grade a synthetic class of guards-toaster submissions end to end (for `make demo`).

    Example: mlip course demo --students 30 --workers 2
    """
    from mlip_autograder.demo import run_demo

    with progress_bar(transient=True) as bar:
        task = bar.add_task("demo", total=None)

        def progress(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        report = run_demo(students=students, workers=workers, directory=keep, progress=progress)
    if json_output:
        print_json(report.to_dict())
        return
    _render_grades(report.autograde)
    _render_report(report.grades)
    console.print(f"feedback: {report.feedback_dir}")
    console.print(f"course: {report.course} [dim](delete it when done)[/]")
