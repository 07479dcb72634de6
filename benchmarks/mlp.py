"""MinPy's headline benchmark: one SGD step of an MLP, 784 -> N x [FC(H) + ReLU] -> FC(10), softmax
cross-entropy, batch 64, float32, for N in {2, 10, 50} and H in {256, 1024}.

Contenders, all in this one process: minpy_array (`grad` over plain minpy_array.numpy code) under each policy on
the cpu device and under `auto` on the `torch:cpu` device, hand-written NumPy backprop (the baseline; and the same
with every product through torch.matmul on its buffers, where torch is installed), PyTorch eager
(autograd, torch.optim.SGD), HIPS autograd, and MXNet symbolic (a simple_bind executor).  Every contender updates
its parameters in place: the NumPy-style ones as MinPy's own `minpy.nn.optim.sgd` (and CS231n's) does,
`w -= learning_rate * dw`; torch.optim.SGD and MXNet's sgd_update write into the parameters too.  Prints ms per step
(median of the timed steps, taken in shuffled rounds) and the ratios to hand-written NumPy and to torch eager
(each the median over rounds of the ratio within the round: paired_ratio),
NumPy's BLAS as threadpoolctl reports it, and the decisions `auto`'s calibration took on this machine
(minpy_array.calibration(): measured in this run's warm-up steps, or read from the cache of an earlier run).
Single-threaded unless --threads is given (OMP/OpenBLAS/MKL thread counts are set before NumPy and MXNet load),
timed in process CPU time unless --wall is given.

    python benchmarks/mlp.py [--quick] [--threads N] [--configs 10x256,10x1024] [--split]
"""
import argparse
import os
import platform
import random
import statistics
import sys
import time

try:
    import resource
except ImportError:  # not on Windows
    resource = None

if __name__ == "__main__":  # run as a script: set the thread counts and engine before NumPy and MXNet load
    import _threads

    _threads.pin_threads()
    # Note: MXNet's threaded engine keeps its worker threads spinning after a step, which slowed whichever contender
    # ran next by ~100 ms at N=10, H=1024 on this machine; the synchronous engine runs every op in the calling thread
    os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")

import numpy

BATCH, IN, OUT, LR = 64, 784, 10, 0.01


def init_params(n, h, seed=0):
    rng = numpy.random.default_rng(seed)
    dims = [IN] + [h] * n + [OUT]
    return [((rng.standard_normal((a, b)) * numpy.sqrt(2.0 / a)).astype("float32"), numpy.zeros(b, "float32"))
            for a, b in zip(dims[:-1], dims[1:], strict=True)]


def data(seed=1):
    rng = numpy.random.default_rng(seed)
    X = rng.standard_normal((BATCH, IN)).astype("float32")
    y = rng.integers(0, OUT, BATCH)
    return X, y, numpy.eye(OUT, dtype="float32")[y]


# ---------------------------------------------------------------- hand-written NumPy backprop
def numpy_step(layers, X, y, onehot, matmul=numpy.matmul):
    """`matmul`: every product's kernel (torch_products: torch's, on the same NumPy buffers)."""
    acts, h = [X], X
    for w, b in layers[:-1]:
        h = numpy.maximum(matmul(h, w) + b, 0)
        acts.append(h)
    w, b = layers[-1]
    s = matmul(h, w) + b
    s = s - s.max(axis=1, keepdims=True)
    p = numpy.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    loss = -numpy.log(p[numpy.arange(BATCH), y]).mean()
    g = (p - onehot) / BATCH
    for i in range(len(layers) - 1, -1, -1):
        w, b = layers[i]
        a = acts[i]
        gw, gb = matmul(a.T, g), g.sum(axis=0)
        if i:
            g = matmul(g, w.T) * (a > 0)
        w -= LR * gw  # MinPy's optim.sgd (and CS231n's): in place
        b -= LR * gb
    return loss


def torch_products():
    """torch.matmul on NumPy buffers, the result a NumPy array over the tensor's memory: what hand-written NumPy's
    step gives with this machine's other product kernels (no engine, no checks)."""
    from minpy_array.ops import _torch

    torch = _torch.load()
    t, mm = torch.from_numpy, torch.matmul
    return lambda a, b: mm(t(a), t(b)).numpy()


# ---------------------------------------------------------------- minpy_array: grad over NumPy-style code
def minpy_setup(layers, X, y, onehot, policy, device="cpu"):
    import minpy_array as mp
    import minpy_array.numpy as np
    from minpy_array.autodiff import value_and_grad

    def loss(params, X, onehot):
        h = X
        for i in range(len(params) // 2 - 1):
            h = np.maximum(np.dot(h, params[f"w{i}"]) + params[f"b{i}"], 0.0)
        k = len(params) // 2 - 1
        s = np.dot(h, params[f"w{k}"]) + params[f"b{k}"]
        s = s - np.max(s, axis=1, keepdims=True)
        return -np.sum((s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))) * onehot) / BATCH

    params = {}
    for i, (w, b) in enumerate(layers):
        params[f"w{i}"], params[f"b{i}"] = np.asarray(w).to_device(device), np.asarray(b).to_device(device)
    vg = value_and_grad(loss)
    Xm, om = np.asarray(X).to_device(device), np.asarray(onehot).to_device(device)

    def step():
        with mp.policy(policy):
            value, grads = vg(params, Xm, om)
            for k in params:
                params[k] -= LR * grads[k]
            return float(value)

    return step


# ---------------------------------------------------------------- PyTorch eager
def torch_setup(layers, X, y, onehot):
    from minpy_array.ops import _torch

    torch = _torch.load()  # its threads follow NumPy's (one, in a benchmark run)
    params = []
    for w, b in layers:
        params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    opt = torch.optim.SGD(params, lr=LR)

    def step():
        h = Xt
        for i in range(len(params) // 2 - 1):
            h = torch.relu(torch.addmm(params[2 * i + 1], h, params[2 * i]))
        s = torch.addmm(params[-1], h, params[-2])
        loss = torch.nn.functional.cross_entropy(s, yt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ---------------------------------------------------------------- HIPS autograd
def autograd_setup(layers, X, y, onehot):
    import autograd.numpy as anp
    from autograd import value_and_grad

    def loss(params):
        h = X
        for w, b in params[:-1]:
            h = anp.maximum(anp.dot(h, w) + b, 0.0)
        w, b = params[-1]
        s = anp.dot(h, w) + b
        s = s - anp.max(s, axis=1, keepdims=True)
        return -anp.sum((s - anp.log(anp.sum(anp.exp(s), axis=1, keepdims=True))) * onehot) / BATCH

    params = [list(p) for p in layers]
    vg = value_and_grad(loss)

    def step():
        value, grads = vg(params)
        for p, g in zip(params, grads, strict=True):
            p[0] -= LR * g[0]
            p[1] -= LR * g[1]
        return float(value)

    return step


# ---------------------------------------------------------------- MXNet symbolic (simple_bind executor)
def mxnet_setup(layers, X, y, onehot):
    from minpy_array.ops import _mxnet

    mx = _mxnet.load()
    sym = mx.sym
    net = sym.Variable("data")
    for i in range(len(layers)):
        net = sym.FullyConnected(net, num_hidden=layers[i][0].shape[1], name=f"fc{i}")
        if i < len(layers) - 1:
            net = sym.Activation(net, act_type="relu")
    net = sym.SoftmaxOutput(net, name="softmax", normalization="batch")
    exe = net.simple_bind(mx.cpu(), data=(BATCH, IN), grad_req="write")
    exe.arg_dict["data"][:] = X
    exe.arg_dict["softmax_label"][:] = y.astype("float32")
    for i, (w, b) in enumerate(layers):
        exe.arg_dict[f"fc{i}_weight"][:] = w.T
        exe.arg_dict[f"fc{i}_bias"][:] = b
    names = [n for n in exe.arg_dict if n.startswith("fc")]

    def step():
        exe.forward(is_train=True)
        exe.backward()
        for n in names:
            mx.nd.sgd_update(exe.arg_dict[n], exe.grad_dict[n], lr=LR, out=exe.arg_dict[n])
        p = exe.outputs[0].asnumpy()  # waits for the step
        return float(-numpy.log(p[numpy.arange(BATCH), y]).mean())

    return step


# ---------------------------------------------------------------- harness
def _page_faults():
    """This process's minor page faults so far (0 where the platform does not count them)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource is not None else 0


def time_interleaved(steps, min_rounds, min_seconds, clock, max_rounds=30):
    """Median ms per step of each step function, timed in rounds (one step of each per round, in a shuffled
    order) so that load from other processes falls on all of them alike; also the loss of each one's first,
    untimed warm-up step, and the median minor page faults of each one's timed steps (memory the step takes
    back from the system), and each one's time in each round (for paired_ratio)."""
    first = [step() for step in steps]  # warm-up: binds executors, fills caches
    times, faults = [[] for _ in steps], [[] for _ in steps]
    order = list(range(len(steps)))
    rng = random.Random(0)
    start, rounds = time.perf_counter(), 0
    while rounds < max_rounds and (rounds < min_rounds or time.perf_counter() - start < min_seconds):
        rng.shuffle(order)
        for i in order:
            f, t = _page_faults(), clock()
            steps[i]()
            times[i].append(clock() - t)
            faults[i].append(_page_faults() - f)
        rounds += 1
    return [statistics.median(t) * 1e3 for t in times], first, [statistics.median(f) for f in faults], times


def paired_ratio(a, b):
    """How many times b's step a's takes: the median over rounds of the ratio within each round, whose steps ran
    back to back (a shared VM's speed drifts between rounds, by 1.5x within minutes on ours, and a ratio of two
    separate medians carries that drift into it)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def contenders(has_mxnet, has_torch):
    rows = [("numpy (hand-written)", lambda L, X, y, o: (lambda: numpy_step(L, X, y, o)))]
    policies = ["auto", "numpy_only"] + (["prefer_mxnet", "mxnet_only"] if has_mxnet else [])
    rows += [(f"minpy_array {p}", lambda L, X, y, o, p=p: minpy_setup(L, X, y, o, p)) for p in policies]
    if has_torch:
        rows.append(("numpy, products on torch", lambda L, X, y, o: (lambda mm=torch_products():
                                                                      numpy_step(L, X, y, o, mm))))
        rows.append(("minpy_array auto on torch:cpu",
                     lambda L, X, y, o: minpy_setup(L, X, y, o, "auto", device="torch:cpu")))
        rows.append(("torch eager", torch_setup))
    rows.append(("HIPS autograd", autograd_setup))
    if has_mxnet:
        rows.append(("mxnet symbolic", mxnet_setup))
    return rows


def direct_setup(layers, X, y, onehot):
    """The torch:cpu step's layer kernels called straight from Python, no engine and no tape: forward as minpy_array
    runs it (matmul, bias add, ReLU as `threshold`), ReLU's backward in its four-kernel form (torch_ops._step, then
    a product), the weights' and inputs' gradients through transposed views, the bias gradient a sum, the update
    `w.sub_(LR * gw)`; only the loss's gradient is written in closed form (a few (64, 10) kernels fewer)."""
    from minpy_array.ops import _torch, torch_ops

    torch = _torch.load()
    params = [(torch.tensor(w), torch.tensor(b)) for w, b in layers]
    Xt, Ot = torch.from_numpy(X), torch.from_numpy(onehot)

    def step():
        acts, zs, h = [Xt], [], Xt
        for w, b in params[:-1]:
            z = torch.matmul(h, w) + b
            h = torch.threshold(z, 0.0, 0.0)
            zs.append(z)
            acts.append(h)
        w, b = params[-1]
        s = torch.matmul(h, w) + b
        s = s - torch.amax(s, dim=1, keepdim=True)
        e = torch.exp(s)
        se = torch.sum(e, dim=1, keepdim=True)
        loss = -torch.sum((s - torch.log(se)) * Ot) / BATCH
        g = (e / se - Ot) / BATCH
        for i in range(len(params) - 1, -1, -1):
            w, b = params[i]
            gw, gb = torch.matmul(acts[i].transpose(-1, -2), g), torch.sum(g, dim=(0,))
            if i:
                g = torch.matmul(g, w.transpose(-1, -2))
                g = torch_ops._step(zs[i - 1], True).mul_(g)
            w.sub_(LR * gw)
            b.sub_(LR * gb)
        return loss.item()

    return step


def split(n, h, rounds=60):
    """Where the torch:cpu step's time goes: the step against the same kernels called directly (direct_setup) and
    against torch eager's step, alternating in shuffled rounds: the step less the direct calls is what dispatch,
    guards, kernel wrappers and the tape cost."""
    X, y, onehot = data()
    steps = [minpy_setup(init_params(n, h), X, y, onehot, "auto", "torch:cpu"),
             direct_setup(init_params(n, h), X, y, onehot), torch_setup(init_params(n, h), X, y, onehot)]
    ms, first, _, per_round = time_interleaved(steps, rounds, 3.0, time.process_time, max_rounds=rounds)
    a, d, e = ms
    print(f"N={n} H={h}: torch:cpu step {a:.2f} ms; its kernels called directly {d:.2f} ms "
          f"({paired_ratio(per_round[1], per_round[2]):.2f}x torch eager), so dispatch, guards, kernel wrappers and "
          f"tape {a - d:.2f} ms; torch eager {e:.2f} ms; the step {paired_ratio(per_round[0], per_round[2]):.2f}x "
          f"torch eager's (process CPU time, medians of {rounds} shuffled rounds; first losses "
          + ", ".join(f"{v:.5f}" for v in first) + ")")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: N=2, H=256, one timed step each")
    ap.add_argument("--threads", default="1", help="BLAS/OpenMP threads (default 1)")
    ap.add_argument("--configs", help="NxH,... instead of the six default sizes (10x8: the step with next to no "
                                      "kernel work, i.e. each contender's fixed cost)")
    ap.add_argument("--wall", action="store_true",
                    help="time wall-clock (default: this process's CPU time, which load from other processes on a "
                         "shared machine does not inflate; single-threaded runs only)")
    ap.add_argument("--split", action="store_true",
                    help="instead: where the torch:cpu step's time goes (the step against the same kernels called "
                         "directly and against torch eager's step, alternating)")
    args = ap.parse_args(argv)
    configs = [(2, 256)] if args.quick else [(10, 256), (10, 1024)] if args.split else \
        [(n, h) for h in (256, 1024) for n in (2, 10, 50)]
    if args.configs:
        configs = [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
    if args.split:
        for n, h in configs:
            split(n, h)
        return None
    import minpy_array as mp
    from minpy_array import NoKernelError, _memory
    from minpy_array.ops import _mxnet, _numpy, _torch

    has_mxnet, has_torch = _mxnet.installed(), _torch.installed()
    min_steps, min_seconds = (1, 0.0) if args.quick else (5, 6.0)
    X, y, onehot = data()
    names = [name for name, _ in contenders(has_mxnet, has_torch)]
    results, losses, faults, rounds = {}, {}, {}, {}
    for n, h in configs:
        steps, names_here = [], []
        for name, setup in contenders(has_mxnet, has_torch):
            try:
                step = setup(init_params(n, h), X, y, onehot)
                step()  # mxnet_only raises here when some op of the step has no MXNet kernel
            except NoKernelError as e:
                results[name, n, h] = f"NoKernelError ({str(e).split(':')[0]})"
                continue
            steps.append(step)
            names_here.append(name)
        clock = time.perf_counter if args.wall or args.threads != "1" else time.process_time
        ms, first, pf, per_round = time_interleaved(steps, min_steps, min_seconds, clock, max_rounds=60)
        for name, t, f, p, r in zip(names_here, ms, first, pf, per_round, strict=True):
            results[name, n, h], losses[name, n, h], faults[name, n, h], rounds[name, n, h] = t, f, p, r
        print(f"  N={n:<3} H={h:<5} " + ", ".join(f"{k}: {v:.1f} ms" for k, v in zip(names_here, ms, strict=True)),
              file=sys.stderr, flush=True)
    clock = "wall-clock" if args.wall or args.threads != "1" else "process CPU time"
    threads, blas = _numpy.blas()
    print(f"MLP SGD step, batch {BATCH}, float32, {args.threads} thread(s), {clock}, MXNet "
          f"{os.environ.get('MXNET_ENGINE_TYPE', 'ThreadedEnginePerDevice')}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, numpy {numpy.__version__} "
          f"(BLAS: {blas}, {threads} thread(s), threadpoolctl), python {platform.python_version()}")
    torch_name = "torch eager" if has_torch else None
    header = "| contender | " + " | ".join(f"N={n} H={h}" for n, h in configs) + " |"
    print(header)
    print("|" + "---|" * (len(configs) + 1))
    for name in names:
        cells = []
        for n, h in configs:
            r = results[name, n, h]
            if isinstance(r, str):
                cells.append(r)
                continue
            mine = rounds[name, n, h]
            t = rounds.get((torch_name, n, h))
            vs_torch = f", {paired_ratio(mine, t):.2f}x torch" if t is not None else ""
            cells.append(f"{r:.1f} ms ({paired_ratio(mine, rounds[names[0], n, h]):.2f}x{vs_torch})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("(ms: each contender's median step; ratios: the median of the ratio within each round, paired_ratio)")
    print("\nMinor page faults per step (median of the timed steps): " + "; ".join(
        f"N={n} H={h}: " + ", ".join(f"{name} {faults[name, n, h]:.0f}" for name in names if (name, n, h) in faults)
        for n, h in configs))
    print(f"glibc heap (minpy_array/_memory.py, process-wide from the first gradient on): {_memory.state()}")
    print(f"\n{mp.calibration()}")
    return results, losses


if __name__ == "__main__":
    main()
