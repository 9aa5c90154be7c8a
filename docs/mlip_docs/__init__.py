"""Generators of the documentation site: pages and figures made from the kit's own code.

``hooks.py`` is the mkdocs entry point; the other modules each generate one kind of page from
the code's data (``System.components()``, the assignment catalogue, the typer app, the chapter
folders), never from copies of it.
"""
