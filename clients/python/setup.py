"""Build hook of the vnstream package: generates vnstream.v1 from proto/.

Everything else about the package is in pyproject.toml. The stubs are
generated into the build tree by `build_py` (so into every wheel, and into
src/ for an editable install) with grpcio-tools' protoc and mypy-protobuf's
plugins (typed .pyi files). The .proto files are found in the sdist
(proto/, put there by `sdist`) or, in a checkout, at ../../proto.
"""

import pathlib
import shutil
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = pathlib.Path(__file__).resolve().parent
PROTOS = ["vnstream/v1/market_data.proto", "vnstream/v1/market_data_service.proto"]


def proto_root() -> pathlib.Path:
    for root in (HERE / "proto", HERE.parent.parent / "proto"):
        if all((root / name).is_file() for name in PROTOS):
            return root
    raise RuntimeError(f"vnstream: {PROTOS} not found in {HERE / 'proto'} (sdist) "
                       f"or {HERE.parent.parent / 'proto'} (checkout)")


def plugin(name: str) -> str:
    """A protoc plugin installed beside this interpreter (the build env)."""
    candidate = pathlib.Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"vnstream: protoc plugin {name} not found (mypy-protobuf)")
    return found


def generate(out: pathlib.Path) -> None:
    import grpc_tools  # pylint: disable=import-outside-toplevel
    from grpc_tools import protoc  # pylint: disable=import-outside-toplevel

    root = proto_root()
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    out.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{root}", f"-I{well_known}",
            f"--plugin=protoc-gen-mypy={plugin('protoc-gen-mypy')}",
            f"--plugin=protoc-gen-mypy_grpc={plugin('protoc-gen-mypy_grpc')}",
            f"--python_out={out}", f"--grpc_python_out={out}",
            f"--mypy_out={out}", f"--mypy_grpc_out={out}", *PROTOS]
    if protoc.main(args) != 0:
        raise RuntimeError(f"vnstream: protoc failed on {root}")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        generate(pathlib.Path(self.build_lib))
        if self.editable_mode:  # The import path is src/: generate there.
            generate(HERE / "src")


class Sdist(sdist):
    def make_release_tree(self, base_dir, files):  # type: ignore[no-untyped-def]
        super().make_release_tree(base_dir, files)
        root = proto_root()
        for name in PROTOS:
            target = pathlib.Path(base_dir) / "proto" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / name, target)


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
