"""Where the trials of a search run: this process, local processes, or a Ray cluster.

Every executor has one method, ``run(train_fn, tasks)``, which yields a ``Trial`` for
each ``(index, config, seed)`` task *as it finishes* (not in order). Scheduling is
left to the engines that do it well: ``concurrent.futures.ProcessPoolExecutor`` on one
machine, Ray on many.

==============  ============================================  ===========================
name            runs trials                                   train_fn must be
==============  ============================================  ===========================
"sequential"    one after another in this process             anything callable
"processes"     in ``n_jobs`` worker processes ("spawn")      picklable by reference
"ray"           as Ray tasks on a cluster (``num_cpus`` each)  picklable by cloudpickle
==============  ============================================  ===========================

**Picklable** means the worker can rebuild the function: define ``train_fn`` at the top
level of an importable module (not a lambda, not inside another function, not in an
interactive session), or make it an instance of a top-level class, or a
``functools.partial`` of such a function. Ray's cloudpickle also takes lambdas and
closures, but the modules they use must be installed on every node.

**BLAS threads.** NumPy's matrix products use a BLAS library that starts one thread
per core. N worker processes on N cores, each with N BLAS threads, fight over the
cores (oversubscription) and run slower than N single-threaded workers. So each worker
process limits its BLAS and OpenMP thread pools to ``blas_threads`` (default 1):
with ``threadpoolctl`` (installed with scikit-learn) for the libraries already
loaded, and by setting ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS`` and ``NUMEXPR_NUM_THREADS`` for those
loaded later. (The environment variables alone would come too late: a spawned
worker imports NumPy before its initializer runs.) Ray also sets
``OMP_NUM_THREADS`` to a task's ``num_cpus``.

**Ctrl-C.** Workers ignore SIGINT; the process that runs the search catches it,
cancels the trials not yet started, stops the workers (processes: terminated; Ray:
``ray.cancel(force=True)``, and ``ray.shutdown()`` if the search started Ray), and
re-raises ``KeyboardInterrupt``. ``grid_search``/``random_search`` turn it into a
``SearchInterrupted`` (a ``KeyboardInterrupt``) that carries the finished trials.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import re
import signal
import traceback
from collections.abc import Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from chainrule.search.trial import TrainFn, Trial, TrialError, run_trial

__all__ = [
    "Executor",
    "SequentialExecutor",
    "ProcessExecutor",
    "RayExecutor",
    "EXECUTORS",
    "get_executor",
    "limit_blas_threads",
    "available_cpus",
]

#: One trial to run: (index, config, seed).
Task = tuple[int, dict[str, Any], int]

BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

PICKLE_HINT = (
    "define train_fn at the top level of an importable module (not a lambda, not a "
    "function inside a function, not in an interactive session), or make it an instance "
    "of a top-level class, or use executor='sequential'"
)


def available_cpus() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


_thread_limits: Any = None  # keeps threadpoolctl's limiter alive in a worker


def limit_blas_threads(threads: int | None) -> None:
    """Limit this process's BLAS/OpenMP thread pools to ``threads`` (None: leave them).

    Sets the environment variables for libraries loaded from now on and, with
    threadpoolctl installed, resizes the pools of those already loaded.
    """
    global _thread_limits
    if threads is None:
        return
    for variable in BLAS_THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables are all we can do
        return
    _thread_limits = threadpool_limits(limits=threads)


class Executor:
    """Runs trials; ``run`` yields each Trial as it finishes.

    Subclasses implement ``run``. When the consumer stops early (Ctrl-C, an exception
    in a callback) the generator is closed and the executor cancels what is left.
    """

    name = "executor"

    def run(self, train_fn: TrainFn, tasks: Sequence[Task]) -> Generator[Trial, None, None]:
        """Run ``train_fn(config, seed)`` for each ``(index, config, seed)``; yield each
        ``Trial`` as it finishes (in any order)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


class SequentialExecutor(Executor):
    """Trials one after another in this process: the simplest, and the easiest to debug.

    Example::

        >>> grid_search({"lr": [0.1, 0.01]}, train_fn, executor="sequential")
    """

    name = "sequential"

    def run(self, train_fn: TrainFn, tasks: Sequence[Task]) -> Generator[Trial, None, None]:
        for index, config, seed in tasks:
            yield run_trial(train_fn, index, config, seed)


# ---------------------------------------------------------------------------------
# Local processes
# ---------------------------------------------------------------------------------

# In a worker process: the train_fn it was started with, or why it could not be loaded.
_worker_train_fn: Any = None
_worker_load_error: TrialError | None = None


def _init_process_worker(train_fn_bytes: bytes, blas_threads: int | None) -> None:
    """Initializer of each worker process: ignore Ctrl-C, limit BLAS, load train_fn once."""
    global _worker_train_fn, _worker_load_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    limit_blas_threads(blas_threads)
    try:
        _worker_train_fn = pickle.loads(train_fn_bytes)
    except Exception as error:  # reported with every trial, not as a broken pool
        loaded = TrialError.from_exception(error)
        _worker_load_error = TrialError(
            loaded.type,
            f"could not load train_fn in a worker process ({loaded.message}); {PICKLE_HINT}",
            loaded.traceback,
        )


def _run_in_process_worker(index: int, config: dict[str, Any], seed: int) -> Trial:
    if _worker_load_error is not None:
        return Trial(index, config, seed, error=_worker_load_error)
    return run_trial(_worker_train_fn, index, config, seed)


def _pickled_train_fn(train_fn: TrainFn, executor: str) -> bytes:
    try:
        return pickle.dumps(train_fn)
    except Exception as error:
        raise TypeError(
            f"executor={executor!r} needs a picklable train_fn, and {train_fn!r} is not "
            f"({type(error).__name__}: {error}); {PICKLE_HINT}"
        ) from None


class ProcessExecutor(Executor):
    """Trials in worker processes on this machine (``ProcessPoolExecutor``).

    Each worker unpickles ``train_fn`` once, when it starts, and then runs trials as
    they are handed out, so the data a train_fn carries crosses once per worker.

    Args:
        n_jobs: worker processes; None for every core this process may use.
        start_method: "spawn" (default: a fresh interpreter, safe with threads) or
            "forkserver" (forks from a clean server process; POSIX only). "fork" is
            refused: forking a process that runs threads (BLAS, Ray, tqdm) can deadlock.
        blas_threads: BLAS/OpenMP threads per worker (default 1; None leaves them).

    Example::

        >>> random_search(space, train_fn, n_trials=16, executor=ProcessExecutor(n_jobs=2))
    """

    name = "processes"
    START_METHODS = ("spawn", "forkserver")

    def __init__(
        self, n_jobs: int | None = None, start_method: str = "spawn", blas_threads: int | None = 1
    ) -> None:
        if n_jobs is not None and (
            isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1
        ):
            raise ValueError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
        if start_method not in self.START_METHODS:
            raise ValueError(
                f"start_method must be one of {self.START_METHODS}, got {start_method!r}"
            )
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"start_method={start_method!r} is not available on this platform")
        self.n_jobs = n_jobs
        self.start_method = start_method
        self.blas_threads = blas_threads

    def run(self, train_fn: TrainFn, tasks: Sequence[Task]) -> Generator[Trial, None, None]:
        if not tasks:
            return
        payload = _pickled_train_fn(train_fn, self.name)
        workers = min(self.n_jobs or available_cpus(), len(tasks))
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init_process_worker,
            initargs=(payload, self.blas_threads),
        )
        finished = False
        try:
            futures: dict[Future[Trial], Task] = {
                pool.submit(_run_in_process_worker, *task): task for task in tasks
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield _future_trial(future, futures[future])
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted, or the consumer stopped: do not wait for running trials
                _terminate_pool(pool)


def _future_trial(future: Future[Trial], task: Task) -> Trial:
    """The Trial a worker sent back, or the failure to get it (a worker that died)."""
    try:
        return future.result()
    except Exception as error:
        index, config, seed = task
        return Trial(index, config, seed, error=TrialError.from_exception(error))


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the trials not started and stop the workers without waiting for them."""
    pool.shutdown(wait=False, cancel_futures=True)
    if hasattr(pool, "terminate_workers"):  # Python 3.14+
        pool.terminate_workers()
        return
    # Before 3.14 there is no public way to stop a running worker: terminate the
    # processes the pool keeps (a private attribute, present since Python 3.2).
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.terminate()
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.join(timeout=5)


# ---------------------------------------------------------------------------------
# Ray
# ---------------------------------------------------------------------------------

RAY_HINT = 'executor="ray" needs Ray: pip install "chainrule[cluster]" (or pip install ray)'


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError(RAY_HINT) from None
    return ray


def _run_ray_trial(
    train_fn: TrainFn, index: int, config: dict[str, Any], seed: int, blas_threads: int | None
) -> Trial:
    """The body of one Ray task."""
    limit_blas_threads(blas_threads)
    return run_trial(train_fn, index, config, seed)


def _ray_trial_error(error: Exception) -> TrialError:
    """A readable TrialError from Ray's wrapper exceptions (no colour codes, the cause first)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(traceback.format_exception(error)))
    cause = getattr(error, "cause", None) or error
    lines = [line for line in str(cause).splitlines() if line.strip()]
    message = re.sub(r"\x1b\[[0-9;]*m", "", lines[0] if lines else repr(cause))
    kind = type(cause).__name__
    missing = re.search(r"No module named '([^']+)'", text)
    if missing:
        kind = "ModuleNotFoundError"
        message = (
            f"the Ray workers cannot import {missing.group(1)!r}, which train_fn needs: "
            "install it on every node, ship it with RayExecutor(runtime_env={'py_modules': "
            "[module]}) or runtime_env={'working_dir': '.'}, or define train_fn in the "
            "script you run (then it travels by value)"
        )
    return TrialError(kind, message, text)


class RayExecutor(Executor):
    """Trials as Ray tasks, on a local Ray or on a cluster.

    ``train_fn`` is put in Ray's object store once and each trial is one task
    (``ray.remote(num_cpus=num_cpus)``); Ray places the tasks on the cluster's free
    CPUs and the results come back as trials finish. chainrule and whatever train_fn
    imports must be installed on every node (or shipped with ``runtime_env``).

    Args:
        address: None for ``ray.init()``'s default (the Ray started on this machine by
            ``ray start`` if there is one, else a new local Ray), "local" for a new
            local Ray, "auto" to join the cluster this machine belongs to (after
            ``ray start``), or "ray://host:10001" for a remote cluster through Ray
            Client. Ignored if Ray is already initialized in this process (that Ray
            is used, and left running).
        num_cpus: CPUs each trial reserves (Ray runs at most total_cpus / num_cpus at once).
        blas_threads: BLAS/OpenMP threads per trial; None: ``num_cpus``.
        runtime_env: Ray's runtime environment for the tasks (e.g. ``{"pip": [...]}``).
        init_kwargs: more keyword arguments for ``ray.init``.
        shutdown: shut Ray down after the search; None (default) does so only if the
            search started it.

    Example::

        >>> grid_search(space, train_fn, executor=RayExecutor(address="auto"))
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: float = 1,
        blas_threads: int | None = None,
        runtime_env: dict[str, Any] | None = None,
        init_kwargs: dict[str, Any] | None = None,
        shutdown: bool | None = None,
    ) -> None:
        if address is not None and not isinstance(address, str):
            raise TypeError(f"address must be a string or None, got {address!r}")
        if isinstance(num_cpus, bool) or not isinstance(num_cpus, (int, float)) or num_cpus <= 0:
            raise ValueError(f"num_cpus must be a positive number, got {num_cpus!r}")
        self.address = address
        self.num_cpus = num_cpus
        self.blas_threads = blas_threads
        self.runtime_env = runtime_env
        self.init_kwargs = dict(init_kwargs or {})
        self.shutdown = shutdown

    def _connect(self, ray: Any) -> bool:
        """Initialize Ray unless it is; True when this call started it."""
        if ray.is_initialized():
            return False
        kwargs = dict(self.init_kwargs)
        if self.runtime_env is not None:
            kwargs["runtime_env"] = self.runtime_env
        try:
            ray.init(address=self.address, **kwargs)
        except ConnectionError as error:
            raise ConnectionError(
                f"could not connect to a Ray cluster at address={self.address!r}: {error}. "
                "Start one with `ray start --head`, or pass address=None for a local Ray."
            ) from error
        return True

    def run(self, train_fn: TrainFn, tasks: Sequence[Task]) -> Generator[Trial, None, None]:
        if not tasks:
            return
        ray = _import_ray()
        started = self._connect(ray)
        finished = False
        pending: dict[Any, Task] = {}
        try:
            try:
                train_fn_ref = ray.put(train_fn)
            except Exception as error:
                raise TypeError(
                    f"executor='ray' could not serialize train_fn {train_fn!r} "
                    f"({type(error).__name__}: {error}); {PICKLE_HINT}"
                ) from None
            remote = ray.remote(num_cpus=self.num_cpus)(_run_ray_trial)
            threads = self.blas_threads or max(1, int(self.num_cpus))
            for task in tasks:
                pending[remote.remote(train_fn_ref, *task, threads)] = task
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        trial = ray.get(ref)
                    except Exception as error:  # train_fn not loadable, a worker or node died
                        index, config, seed = task
                        trial = Trial(index, config, seed, error=_ray_trial_error(error))
                    yield trial
            finished = True
        finally:
            if not finished:
                for ref in pending:
                    with contextlib.suppress(Exception):
                        ray.cancel(ref, force=True)
            if self.shutdown or (self.shutdown is None and started):
                ray.shutdown()


#: Executors by name, as ``executor=`` and the CLI's ``--executor`` take them.
EXECUTORS: dict[str, type[Executor]] = {
    "sequential": SequentialExecutor,
    "processes": ProcessExecutor,
    "ray": RayExecutor,
}


def get_executor(
    executor: str | Executor = "processes", n_jobs: int | None = None, address: str | None = None
) -> Executor:
    """An executor from its name (with ``n_jobs`` for processes, ``address`` for Ray) or as is."""
    if isinstance(executor, Executor):
        if n_jobs is not None or address is not None:
            raise ValueError(
                "n_jobs and address go with an executor's name; set them on the "
                f"{type(executor).__name__} instance instead"
            )
        return executor
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {executor!r}")
    if address is not None and executor != "ray":
        raise ValueError(f"address={address!r} is for executor='ray', not {executor!r}")
    if executor == "processes":
        return ProcessExecutor(n_jobs=n_jobs)
    if executor == "ray":
        if n_jobs is not None:
            raise ValueError(
                "n_jobs is for executor='processes'; Ray runs as many trials at once as "
                "the cluster has CPUs (set RayExecutor(num_cpus=...) per trial)"
            )
        return RayExecutor(address=address)
    return SequentialExecutor()
