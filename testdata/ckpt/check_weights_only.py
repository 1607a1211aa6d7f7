#!/usr/bin/python3
"""Asks the real torch.load(weights_only=True) about checkpoint fixtures (run by
internal/ckpt TestTorchWeightsOnlyAgrees; Debian's /usr/bin/python3 with torch).

  check_weights_only.py --load A.ckpt ... --refuse B.ckpt ... --qualified MOD:NAME ...

--load:      torch.load(f, weights_only=True) must succeed.
--refuse:    it must raise, and the marker file the payloads would create must not exist.
--qualified: pickle's own find_class, at protocol 4, must resolve MOD + dotted NAME to
             os.system (it is looked up, never called).
Prints one line per check; exits 1 if any check fails.
"""
import io
import os
import pickle
import sys

import torch

PWNED = "/tmp/ckptmeta-ckpt-fixture-pwned"


class Found(Exception):
    pass


class ResolveOnly(pickle._Unpickler):
    """Stops at the first global: reports what find_class resolved it to."""

    def find_class(self, module, name):
        raise Found(super().find_class(module, name))


def resolve(module, name):
    data = pickle.PROTO + bytes([4]) + pickle.SHORT_BINUNICODE + bytes([len(module)]) + module.encode() + \
        pickle.SHORT_BINUNICODE + bytes([len(name)]) + name.encode() + pickle.STACK_GLOBAL + pickle.STOP
    try:
        ResolveOnly(io.BytesIO(data)).load()
    except Found as f:
        return f.args[0]
    return None


def main(argv):
    mode, failed = None, False
    for arg in argv:
        if arg.startswith("--"):
            mode = arg
            continue
        if mode == "--qualified":
            module, name = arg.split(":", 1)
            got = resolve(module, name)
            ok = got is os.system
            print("%s qualified %s + %s -> %r" % ("ok" if ok else "FAIL", module, name, got))
        else:
            try:
                torch.load(arg, weights_only=True)
                err = None
            except Exception as e:  # UnpicklingError (torch ≥ 1.13 wraps RuntimeError in it)
                err = "%s: ...%s" % (type(e).__name__, str(e)[-80:])
            if mode == "--load":
                ok = err is None
                print("%s loads %s%s" % ("ok" if ok else "FAIL", os.path.basename(arg), "" if ok else " (" + err + ")"))
            else:
                ok = err is not None and not os.path.exists(PWNED)
                print("%s refuses %s (%s)" % ("ok" if ok else "FAIL", os.path.basename(arg), err))
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
