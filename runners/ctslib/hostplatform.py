"""The host's platform module: platform_posix on Linux and other POSIX hosts,
platform_windows on Windows. Import process and path helpers from here."""
import os

if os.name == "nt":  # pragma: no cover
    from .platform_windows import *  # noqa: F401,F403
else:
    from .platform_posix import *  # noqa: F401,F403
