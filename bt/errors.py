"""Exceptions that bt raises for problems the user can fix.

The CLI turns every `BtError` into one line on stderr (`bt: error: ...`) and
exit status 2, so the message must make sense on its own, without a traceback.
"""


class BtError(Exception):
    """Base class of the errors caused by user input or the environment."""


class ConfigError(BtError):
    """A bad machine setting: RAM size, load address, instruction limit..."""


class LoaderError(BtError):
    """The guest image cannot be loaded (missing, truncated, not Multiboot...)."""


class EngineUnavailable(BtError):
    """The compiled engine or the capstone library it needs cannot be loaded."""
