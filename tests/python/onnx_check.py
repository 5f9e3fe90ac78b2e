"""Checks ONNX files with the onnx package's checker, for the ContextNets export tests.

Reads one path per line on stdin and answers one JSON line per path on stdout:
{"ok": true, "opset": 17, "ir_version": 8, "full_check": true} or {"ok": false, "error": "..."}.
full_check adds ONNX's strict shape inference to the structural checks; it runs on every file.
"""
import json
import sys

import onnx


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    return {"ok": True, "opset": opset[0] if opset else None, "ir_version": model.ir_version, "full_check": True,
            "onnx": onnx.__version__}


def main():
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        try:
            answer = check(path)
        except Exception as e:  # every failure is reported to the test, which shows it
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
