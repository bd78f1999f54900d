"""The host's platform module: platform_posix on Linux and other POSIX hosts,
platform_windows on Windows. Import process and path helpers from here."""
import os
import platform as _pyplatform

if os.name == "nt":  # pragma: no cover
    from .platform_windows import *  # noqa: F401,F403
else:
    from .platform_posix import *  # noqa: F401,F403


def host_info():
    """What the report records about the machine a run ran on."""
    return {"platform": NAME, "system": _pyplatform.system(),
            "machine": _pyplatform.machine(), "python": _pyplatform.python_version(),
            "cpus": os.cpu_count()}
