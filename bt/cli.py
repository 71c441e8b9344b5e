"""The `bt` command: run a guest image, or show how bt translates its code.

User mistakes (a missing or broken image, a bad size or address) end in one
line on stderr, `bt: error: ...`, and exit status 2 - never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any, Iterator, NoReturn, Sequence, TextIO

from . import __version__, demo_image, loader
from .errors import BtError, ConfigError
from .sizes import parse_address, parse_size

STATUS_USAGE = 2
STATUS_INTERRUPTED = 130

EXIT_STATUS_HELP = """\
exit status of 'bt run':
  0     the guest powered off, or --max-instructions was reached
  odd   the guest wrote v to isa-debug-exit (port 0xf4): ((v << 1) | 1) & 0xff,
        exactly as under qemu-system-i386 -device isa-debug-exit
  2     bad command line or image (one 'bt: error:' line on stderr)
  3     triple fault: a fault while delivering a double fault (the message
        names the first exception and dumps the registers)
  4     the guest cannot go on: a fault bt stops on (an instruction or mode bt
        does not implement), HLT that no interrupt can end, or an unknown
        port with --strict-ports
  70    internal error in bt
  130   interrupted (Ctrl-C)
"""


class _UsageError(BtError):
    """A command-line syntax error found by argparse."""


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one `bt: error:` line instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `bt` and its subcommands."""
    parser = _Parser(prog="bt", description="A virtual machine monitor for 32-bit x86 "
                     "guests, by binary translation.",
                     epilog=EXIT_STATUS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="boot a guest image", epilog=EXIT_STATUS_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              description="Boot a Multiboot v1 ELF kernel (or a raw binary "
                              "with --raw).\nCOM1 is connected to stdin and stdout. With no "
                              "IMAGE, boots the bundled demo.")
    run.add_argument("image", nargs="?", metavar="IMAGE",
                     help="guest image (default: the bundled demo)")
    _add_machine_options(run)
    run.add_argument("--max-instructions", metavar="N", default="0",
                     help="stop after N guest instructions (exit status 0)")
    run.add_argument("--stats", action="store_true",
                     help="print a table of the run's figures to stderr: instructions "
                     "and speed, the translation cache's hits, misses, chained jumps, "
                     "invalidations and flushes, and the callouts by kind with their share")
    run.add_argument("--trace", metavar="FILE",
                     help="write one line per executed block ('ADDR COUNT') to FILE")
    run.add_argument("--clock", choices=("host", "icount"), default="host",
                     help="virtual time for the timer: 'host' follows real time; 'icount' "
                     "derives it from the instruction count (1 ns each), so every run "
                     "of a guest is identical (default: host)")
    run.add_argument("--strict-ports", action="store_true",
                     help="stop (status 4) on access to an I/O port no device decodes, "
                     "instead of reading all ones")
    run.set_defaults(handler=cmd_run)

    explain = commands.add_parser("explain", help="show the translation of guest blocks",
                                  description="Load IMAGE and print guest blocks as they were "
                                  "decoded, each instruction beside the micro-op it became; a "
                                  "sensitive instruction shows its callout and why. Default: "
                                  "the entry block and the blocks it reaches directly.")
    explain.add_argument("image", metavar="IMAGE", help="guest image")
    where = explain.add_mutually_exclusive_group()
    where.add_argument("--at", "--addr", dest="addr", metavar="ADDR",
                       help="the block at guest address ADDR (only that block unless --blocks)")
    where.add_argument("--symbol", metavar="NAME",
                       help="the block at ELF symbol NAME (only that block unless --blocks)")
    explain.add_argument("--blocks", metavar="N",
                         help="follow direct successors up to N blocks (default: 8 from the "
                         "entry, 1 with --at or --symbol)")
    _add_machine_options(explain)
    explain.set_defaults(handler=cmd_explain)

    from . import bench
    bench_cmd = commands.add_parser("bench", help=bench.HELP, description=bench.DESCRIPTION,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_arguments(bench_cmd)
    bench_cmd.set_defaults(handler=bench.run_bench)
    return parser


def _add_machine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--memory", "-m", metavar="SIZE", default="128M",
                        help="guest RAM: bytes, or with a K/M/G suffix (default 128M; "
                        "2M to 3G: the guest is 32-bit and the top GiB of its address "
                        "space belongs to devices and firmware)")
    parser.add_argument("--append", metavar="STR", default="",
                        help="kernel command line; the guest sees 'IMAGE STR', as under QEMU")
    parser.add_argument("--raw", metavar="ADDR",
                        help="IMAGE is a flat binary: load it at ADDR and start there")


# ---- commands ----------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    """`bt run`: boot the image and exit with the guest's status."""
    from .machine import Machine, StopReason
    from .stats import format_table

    ram_size, raw_addr = _machine_settings(args)
    limit = _parse_count(args.max_instructions, "--max-instructions value")
    with _image_path(args.image) as image:
        _check_image(image, ram_size, raw_addr, args.append)
        with _trace_file(args.trace) as trace, \
                Machine(ram_size, args.append, strict_ports=args.strict_ports, clock=args.clock,
                        trace_file=trace, console_input=True) as machine:
            _load(machine, image, raw_addr)
            result = machine.run(limit)
            broken_pipe = isinstance(machine.uart.output_error, BrokenPipeError)
    if broken_pipe:
        _silence_stdout()
    if result.reason not in (StopReason.DEBUG_EXIT, StopReason.POWEROFF):
        print(f"bt: {result.message}", file=sys.stderr)
    if args.stats:
        print(format_table(result.stats), file=sys.stderr)
    return result.exit_status


def cmd_explain(args: argparse.Namespace) -> int:
    """`bt explain`: print the translation of guest blocks."""
    from .elfsyms import elf_symbols
    from .machine import Machine

    ram_size, raw_addr = _machine_settings(args)
    addr = parse_address(args.addr, "--at address") if args.addr is not None else None
    _check_image(args.image, ram_size, raw_addr, args.append)
    if args.symbol is not None:
        symbols = elf_symbols(args.image)
        if args.symbol not in symbols:
            hint = "the image has no symbol table" if not symbols else "unknown symbol"
            raise ConfigError(f"--symbol {args.symbol}: {hint}")
        addr = symbols[args.symbol]
    default_blocks = 8 if addr is None else 1
    limit = _parse_count(args.blocks, "--blocks count") if args.blocks is not None else default_blocks
    if limit < 1:
        raise ConfigError("--blocks must be at least 1")
    with Machine(ram_size, args.append) as machine:
        _load(machine, args.image, raw_addr)
        start = machine.image.entry if addr is None else addr
        print(_explain_blocks(machine, start, limit).rstrip("\n"))
    return 0


def _explain_blocks(machine, start: int, limit: int) -> str:
    """The block at `start` and, breadth first, the blocks its direct
    branches reach, up to `limit` blocks."""
    seen: set[int] = set()
    queue = [start]
    parts: list[str] = []
    while queue and len(parts) < limit:
        addr = queue.pop(0)
        if addr in seen:
            continue
        seen.add(addr)
        parts.append(machine.explain(addr))
        queue.extend(a for a in machine.engine.block_successors(addr) if a not in seen)
    return "\n".join(parts)


def _machine_settings(args: argparse.Namespace) -> tuple[int, int | None]:
    """RAM size and raw load address from the options, validated before any work."""
    from .machine import check_ram_size

    ram_size = parse_size(args.memory, "--memory size")
    check_ram_size(ram_size)
    raw_addr = parse_address(args.raw, "--raw address") if args.raw is not None else None
    if raw_addr is not None and args.image is None:
        raise ConfigError("--raw needs an IMAGE")
    return ram_size, raw_addr


def _parse_count(text: str, what: str) -> int:
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise ConfigError(f"bad {what} {text!r}: expected a whole number") from None
    if value < 0:
        raise ConfigError(f"bad {what} {text!r}: cannot be negative")
    return value


def _check_image(path: str, ram_size: int, raw_addr: int | None, append: str) -> None:
    """Validate the image fully before building the machine (no RAM is touched)."""
    memory = loader.SizeOnlyMemory(ram_size)
    if raw_addr is None:
        loader.load_multiboot(memory, path, append)
    else:
        loader.load_raw(memory, path, raw_addr, append)


def _load(machine: Any, path: str, raw_addr: int | None) -> None:
    if raw_addr is None:
        machine.load_multiboot(path)
    else:
        machine.load_raw(path, raw_addr)


@contextlib.contextmanager
def _image_path(image: str | None) -> Iterator[str]:
    """The image to boot: the one given, or the demo bundled with bt."""
    if image is not None:
        yield image
        return
    try:
        yield str(demo_image())
    except ConfigError as exc:
        raise ConfigError(f"no IMAGE given and {exc}") from None


@contextlib.contextmanager
def _trace_file(path: str | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    try:
        f = open(path, "w", encoding="ascii")
    except OSError as exc:
        raise ConfigError(f"cannot write the trace file {path}: {exc.strerror}") from None
    with f:
        yield f


def _silence_stdout() -> None:
    # The reader of our stdout went away; point fd 1 at /dev/null so that
    # Python's final flush does not complain about the broken pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# ---- entry point -------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """Run the `bt` command line; returns the process exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise _UsageError("missing command: 'bt run [IMAGE]', 'bt explain IMAGE' or "
                              "'bt bench' (see 'bt --help')")
        return int(args.handler(args))
    except BtError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except MemoryError:
        return _fail("not enough host memory for the guest's RAM (try a smaller --memory)")
    except KeyboardInterrupt:
        print("bt: interrupted", file=sys.stderr)
        return STATUS_INTERRUPTED


def _fail(message: str) -> int:
    print(f"bt: error: {' '.join(message.splitlines())}", file=sys.stderr)
    return STATUS_USAGE
