"""The Windows counterpart of platform_posix (named pipes, job objects). Not written yet: the
runner says so instead of half-working."""
NAME = "windows"
CAN_RELAY = False  # a named-pipe relay is not written; cells would run unrecorded


def _unsupported(*_a, **_k):
    raise NotImplementedError("the netipc-cts runner does not support Windows hosts yet "
                              "(runners/ctslib/platform_windows.py)")


popen = terminate_tree = kill_tree = interrupt_tree = group_members = children_of = \
    descendants = kill_pids = become_subreaper = reap_strays = install_stop_signals = \
    describe_exit = run_base = endpoint_files = link_file = wait_gone = _unsupported
