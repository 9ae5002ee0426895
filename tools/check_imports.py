"""Import every module of a package; fail if a forbidden module got imported.

Usage: ``python tools/check_imports.py MODULE FORBIDDEN OPTIONAL`` where FORBIDDEN and OPTIONAL
are comma-separated module names. A submodule whose import fails only because an OPTIONAL
module is absent is reported as skipped (an extra that is not installed); any other import
error fails. ``__main__`` modules are not imported (they would run their command line).
"""

import importlib
import pkgutil
import sys

module, forbidden, optional = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
forbidden = [f for f in forbidden if f]
optional = [o for o in optional if o]
root = importlib.import_module(module)
names = [module] + [m.name for m in pkgutil.walk_packages(root.__path__, module + ".")]
skipped = []
for name in names:
    if name.rsplit(".", 1)[-1] == "__main__":
        continue
    try:
        importlib.import_module(name)
    except ImportError as exc:
        missing = exc.name or ""
        if any(missing == o or missing.startswith(o + ".") for o in optional):
            skipped.append(f"{name} (needs {missing})")
            continue
        raise
bad = [f for f in forbidden if f in sys.modules]
print(f"imported {len(names) - len(skipped)} modules of {module}")
for s in skipped:
    print("  skipped, optional dependency absent:", s)
if bad:
    sys.exit(f"forbidden modules imported by {module}: {bad}")
