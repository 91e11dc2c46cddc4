"""Where workbooks come from: one interface, a local implementation (CSV folders, .xlsx, .ods)."""
