"""`vsis bench`: national-scale timings of the reports and the import, each
checked figure by figure against DuckDB (issue #5, docs/decisions/0005)."""
