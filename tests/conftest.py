"""Shared fixtures: running the `bt` command, building guests, engine checks."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parent.parent
GUESTS = REPO / "guests"

BtCmd = Callable[..., subprocess.CompletedProcess]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    skip_qemu = pytest.mark.skip(reason="qemu-system-i386 is not installed")
    have_qemu = shutil.which("qemu-system-i386") is not None
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip_slow)
        if "qemu" in item.keywords and not have_qemu:
            item.add_marker(skip_qemu)


def _bt_env() -> dict[str, str]:
    # Run the source tree's bt even when it is not installed in the venv.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session")
def bt_cmd() -> BtCmd:
    """Run `python -m bt ARGS...` and return the CompletedProcess (bytes output).

    Keyword arguments: input (bytes for the guest's COM1; stdin is /dev/null
    otherwise), timeout (seconds, default 120), cwd.
    """
    env = _bt_env()

    def run(*args: str | os.PathLike[str], input: bytes | None = None,
            timeout: float = 120, cwd: str | os.PathLike[str] | None = None
            ) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bt", *map(str, args)],
                              input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, env=env, cwd=cwd)
    return run


@pytest.fixture(scope="session")
def engine_module():
    """The compiled engine (bt.load_engine()); skips the test when it is not built."""
    import bt
    from bt.errors import EngineUnavailable
    try:
        return bt.load_engine()
    except EngineUnavailable as exc:
        pytest.skip(f"engine not available: {exc}")


@pytest.fixture(scope="session")
def guests() -> dict[str, Path]:
    """Build the guest programs once (python3 guests/build.py); name -> ELF path."""
    script = GUESTS / "build.py"
    if not script.is_file():
        pytest.skip("guests/build.py does not exist yet")
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"guests/build.py failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    built = {p.stem: p for p in sorted((GUESTS / "build").glob("*.elf"))}
    if not built:
        pytest.fail("guests/build.py produced no guests/build/*.elf")
    return built


@pytest.fixture(scope="session")
def guest_expected() -> Callable[[str], tuple[bytes, int]]:
    """name -> (expected serial output, expected exit status) from guests/expected/."""
    def expected(name: str) -> tuple[bytes, int]:
        out = (GUESTS / "expected" / f"{name}.out").read_bytes()
        status = int((GUESTS / "expected" / f"{name}.status").read_text().strip())
        return out, status
    return expected
