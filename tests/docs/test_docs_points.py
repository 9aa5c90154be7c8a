"""Assignment pages show the same points story as `mlip assignments list`."""

from __future__ import annotations

from mlip.assignments import ASSIGNMENTS, assignment_points


def test_docs_page_shows_the_breakdown() -> None:
    from mlip_docs.assignment_pages import assignment_index, assignment_page

    page = assignment_page(ASSIGNMENTS[0]).markdown
    assert assignment_points(ASSIGNMENTS[0].id).describe() in page
    assert f"| {assignment_points(ASSIGNMENTS[0].id).total:g} |" in assignment_index()
