"""Regenerate the Python code of protos/stratus/v1 (the one generator command).

python scripts/gen_protos.py          # write the generated modules
python scripts/gen_protos.py --check  # exit 1 when the committed ones are stale
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc_tools

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = PROTO_ROOT / "stratus" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PACKAGE_DIR.glob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    subprocess.run(cmd, check=True, cwd=PROTO_ROOT)


def generated_files(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when generated code is stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh_dir = Path(tmp) / "stratus" / "v1"
        fresh = generated_files(fresh_dir)
        if args.check:
            stale = sorted(
                name
                for name in fresh | generated_files(PACKAGE_DIR)
                if not (PACKAGE_DIR / name).exists()
                or not (fresh_dir / name).exists()
                or not filecmp.cmp(PACKAGE_DIR / name, fresh_dir / name, shallow=False)
            )
            if stale:
                print("generated code is stale; run: python scripts/gen_protos.py", file=sys.stderr)
                print("\n".join(f"  {name}" for name in stale), file=sys.stderr)
                return 1
            return 0
        for name in generated_files(PACKAGE_DIR) - fresh:
            (PACKAGE_DIR / name).unlink()
        for name in fresh:
            shutil.copyfile(fresh_dir / name, PACKAGE_DIR / name)
    (PACKAGE_DIR.parent / "__init__.py").touch()
    (PACKAGE_DIR / "__init__.py").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
