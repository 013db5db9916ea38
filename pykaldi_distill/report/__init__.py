"""Results tables, bootstrap intervals, soft-target statistics, frame accuracy, plots."""
