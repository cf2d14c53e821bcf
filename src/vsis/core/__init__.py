"""Domain rules with no database: ROC dates, national IDs, ages and brackets."""
