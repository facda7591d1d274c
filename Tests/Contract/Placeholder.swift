// Contract tests: one file per contract checked.
