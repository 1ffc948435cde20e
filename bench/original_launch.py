"""original_launch.py REF SEED SCRIPT ARGS...: seeds numpy and torch, then runs REF/SCRIPT as
__main__, as a user would run `python3 SCRIPT ARGS...` in the DatasetCondensation checkout REF.

REF's utils.py and networks.py are loaded with two mechanical, behaviour-preserving edits that
PyTorch >= 1.13 needs (see bench/fidelity.sh). With ITERATION_TIMES=FILE in the environment, the
moment of every get_network call is also written to FILE at exit, as a JSON list of [wall-clock
seconds, process CPU seconds]: main_DM.py draws one fresh network at the start of every iteration,
so consecutive differences are the durations of its iterations, its own loop code unchanged
(bench/compare.sh).
"""
import atexit, json, os, re, runpy, sys, time, types
import numpy as np
import torch

ref, seed, script = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, ref)


def load(name, pattern, replacement):
    """Imports REF/name.py with one regular-expression edit; returns how many places it changed."""
    path = os.path.join(ref, name + ".py")
    source, count = re.subn(pattern, replacement, open(path).read())
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return count


views = load("networks", r"out\.view\(out\.size\(0\), -1\)", "out.reshape(out.size(0), -1)")
clones = load("utils", r"(\w+)\[:\] = \1\[0\]", r"\1[:] = \1[0].clone()")
print("launcher: seed %d; %d views -> reshape, %d siamese broadcasts cloned" % (seed, views, clones), flush=True)

if os.environ.get("ITERATION_TIMES"):
    utils = sys.modules["utils"]
    draws = []
    get_network = utils.get_network

    def timed_get_network(*args, **kwargs):
        draws.append((time.perf_counter(), time.process_time()))
        return get_network(*args, **kwargs)

    utils.get_network = timed_get_network
    atexit.register(lambda: json.dump(draws, open(os.environ["ITERATION_TIMES"], "w")))

torch.manual_seed(seed)
np.random.seed(seed)
sys.argv = [script] + sys.argv[4:]
runpy.run_path(os.path.join(ref, script), run_name="__main__")
