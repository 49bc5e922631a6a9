"""Analysis and judgment (分析研判): figures, rankings, hot issues, monthly and quarterly reports."""
