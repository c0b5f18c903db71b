"""Versioned guideline tables (YAML data, one row per criterion with its source text)."""
