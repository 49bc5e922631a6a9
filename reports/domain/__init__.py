"""Pure logic of the reports: periods and schedule, figures and deltas, ranking, hot issues, summaries."""
