"""Synthetic data at demo, county and national scale, and the benchmark harness.

Nothing here is personal data: names come from Faker's zh_TW lists and IDs are
made up with valid check digits (vsis.core.national_id.generate_id).
"""
