"""Services: plain functions with keyword-only arguments returning frozen dataclasses.

The CLI layer calls these and renders their results; tests and notebooks call them directly.
"""
