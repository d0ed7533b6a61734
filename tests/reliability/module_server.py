"""Run collection modules in forked children of one warm process.

Importing the Azure packages costs about a second per module process; this process imports them
once and forks a child per run, so each run is still its own process, with its own arguments
file, environment, stdout and exit, as when Ansible runs a module on localhost.

Protocol: one JSON object per stdin line, {"module", "args_file", "env", "stdout", "stderr"};
one line back per run with {"rc"}.
"""

from __future__ import annotations

import json
import os
import runpy
import sys

MODULE_PACKAGE = "ansible_collections.goldenimage.azure.plugins.modules"


def warm_up() -> None:
    import ansible.module_utils.basic  # noqa: F401
    import azure.identity
    import azure.mgmt.core
    import azure.mgmt.core.polling.arm_polling  # noqa: F401


def run_child(request: dict) -> None:
    os.environ.clear()
    os.environ.update(request["env"])
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.argv = [request["module"], request["args_file"]]
    code = 0
    try:
        runpy.run_module(f"{MODULE_PACKAGE}.{request['module']}", run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    warm_up()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_child(request)
        status = os.waitpid(pid, 0)[1]
        sys.stdout.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
