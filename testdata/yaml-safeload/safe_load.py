#!/usr/bin/python3
"""Prints, for each file named on the command line, "ok <file>" when yaml.safe_load reads
it and "refused <file>: <error>" when it raises (validate/safeload_test.go compares)."""
import sys

import yaml

for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            yaml.safe_load(f)
        print("ok", path)
    except Exception as e:  # any exception is a refusal: that is what a consumer sees
        msg = " ".join(str(e).split())[:160]
        print("refused", path + ":", type(e).__name__, msg)
