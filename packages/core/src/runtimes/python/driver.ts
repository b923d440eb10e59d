/**
 * The Python half of the Python runtime: sets up the guest's process state, compiles the
 * code for `__main__`, and describes the outcome as JSON. The code itself is evaluated by
 * the JS half (python-runtime.ts), so that no frame of this driver, of asyncio or of
 * Pyodide sits below the program's own. Kept as source text so it is
 * loaded into Pyodide without touching any filesystem.
 */
export const DRIVER_SOURCE = String.raw`
import ast, asyncio, functools, io, itertools, json, linecache, os, sys, traceback, __main__
from textwrap import dedent as _dedent
from _pyodide._base import should_quiet as _should_quiet

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect

# Bound now, before any guest code: a program that replaces json.dumps or os.walk for its own
# purposes must not break how its result is reported.
_dumps, _loads, _walk = json.dumps, json.loads, os.walk
_WORKDIR = None

def setup(workdir, filename, args_json, env_json):
    global _WORKDIR
    _WORKDIR = workdir
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    # Only what the request passed: Pyodide's defaults include host-derived values.
    os.environ.clear()
    os.environ.update(_loads(env_json))
    sys.argv = [filename, *_loads(args_json)]
    # Unbuffered text streams straight onto fds 1 and 2: the host sees every write at
    # once and in the order it happened, so interleaved output is exact.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True, write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True, write_through=True)
    __main__.__dict__["__file__"] = filename
    import posix
    def system(command):
        raise OSError(38, "os.system is not available in the wasmbox sandbox: no processes can be started")
    os.system = posix.system = system

def _error(exc, filename):
    tb = exc.__traceback__
    # Cut the traceback to the user's own frames: drop the driver and Pyodide frames above them.
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    line = None
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == filename:
            line = t.tb_lineno
        t = t.tb_next
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line = exc.lineno
    try:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except BaseException:
        text = type(exc).__name__ + "\n"
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    return {"name": type(exc).__name__, "message": message, "traceback": text, "line": line}

def _has_frame(exc, filename):
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            return True
        tb = tb.tb_next
    return False

def _value(v, limit):
    if v is None:
        return None
    try:
        s = _dumps(v, allow_nan=False, ensure_ascii=False)
    except BaseException:
        try:
            r = repr(v)
        except BaseException:
            r = "<unrepresentable " + type(v).__name__ + ">"
        s = _dumps(r[:limit], ensure_ascii=False)
    if len(s) > limit:
        s = _dumps(s[:limit], ensure_ascii=False)
    return s

def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass

def prepare(code, filename):
    """The program compiled for the JS side, which evaluates each part with the C-level eval,
    from the bottom of the interpreter's stack: the program's frame is the bottom frame, as
    in python3 main.py. Returns (body, body is async, last expression or None, last is
    async): the last expression is compiled on its own because its value is the run's value.
    A program that does not compile returns its outcome (JSON) instead."""
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    _forget_last_exception()
    _stop.clear()
    _reset_outputs()
    # Top-level await is allowed (such code compiles to a coroutine); nothing is inherited from
    # this driver's own compile flags, as for a script.
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        # Dedented as Pyodide's eval_code does, which earlier wasmbox versions ran code with.
        module = compile(_dedent(code), filename, "exec", flags | ast.PyCF_ONLY_AST, dont_inherit=True)
        last = None
        if module.body and isinstance(module.body[-1], ast.Expr) and not _should_quiet(code):
            # As a 1-tuple: the value then reaches the driver as the object it is (a promising
            # call from JS would await an awaitable value, and numbers would pass through JS).
            expr = module.body.pop().value
            last = compile(ast.Expression(ast.copy_location(ast.Tuple([expr], ast.Load()), expr)), filename, "eval", flags, dont_inherit=True)
        body = compile(module, filename, "exec", flags, dont_inherit=True)
    except BaseException as exc:
        return _failure(exc, filename)
    return (body, _is_async(body), last, last is not None and _is_async(last))

def _is_async(code):
    return bool(code.co_flags & _CO_COROUTINE)

def _forget_last_exception():
    # A script starts without them; the JS side finds the program's exception in sys.last_exc.
    for name in ("last_exc", "last_type", "last_value", "last_traceback"):
        try:
            delattr(sys, name)
        except AttributeError:
            pass

class _Stop:
    """A SystemExit or KeyboardInterrupt that escaped another task ends the run, as it ends
    asyncio.run in a script; without these handlers it would escape into JS and crash the sandbox."""
    def __init__(self):
        self.exc = None
        self.future = None
    def clear(self):
        self.exc = None
        self.future = None
    def set(self):
        if self.exc is None:
            self.exc = sys.exception()
        if self.future is not None and not self.future.done():
            self.future.set_result(None)

_stop = _Stop()
_loop = asyncio.get_event_loop()
_loop._system_exit_handler = lambda code: _stop.set()
_loop._keyboard_interrupt_handler = _stop.set

def _exception_handler(loop, context):
    # The exception that ended the run is reported as its outcome, not again as unhandled.
    if _stop.exc is None or context.get("exception") is not _stop.exc:
        loop.default_exception_handler(context)

_loop.set_exception_handler(_exception_handler)

_start_task = functools.partial(asyncio.Task, loop=_loop, eager_start=True)

def evaluating(*codes):
    """A lazy map that evaluates the codes in __main__ when the JS side consumes it with
    list(): this function has returned by then, so only C sits between the JS side and the
    program, and the parts run back to back, with nothing of the event loop between them."""
    return map(eval, codes, itertools.repeat(__main__.__dict__))

def starting(code):
    """The same for code that awaits at top level: its coroutine, started as an eager task
    (whose first step runs inside the constructor, from the caller's stack)."""
    return map(_start_task, (eval(code, __main__.__dict__),))

async def wait(task):
    """Until the program's task is done, or another task ended the run."""
    if task.done() or _stop.exc is not None:
        return
    _stop.future = _loop.create_future()
    await asyncio.wait([task, _stop.future], return_when=asyncio.FIRST_COMPLETED)

def result(task):
    """The task's value; its exception (or the one that ended the run) is raised for the JS side."""
    if _stop.exc is not None:
        raise _stop.exc
    return task.result()

def failed(filename):
    """The outcome of the exception the program raised (Pyodide leaves it in sys.last_exc)."""
    exc = getattr(sys, "last_exc", None)
    _forget_last_exception()
    if exc is None:
        exc = RuntimeError("the program failed, but its exception was lost")
    try:
        return _failure(exc, filename)
    finally:
        exc = None

def finished(last, value_limit):
    """The outcome of a program that ran to its end; last is its last part's result: the
    last expression's value in a 1-tuple, or None."""
    _flush()
    value = last[0] if last is not None else None
    try:
        _result_output(value)
    except BaseException:
        pass
    return _dumps({"status": "ok", "error": None, "exitCode": 0, "value": _value(value, value_limit)})

def _failure(exc, filename):
    """The outcome of a program that raised exc; what Python would print goes to stderr."""
    try:
        if isinstance(exc, SystemExit):
            code_ = exc.code
            if code_ is None:
                code_ = 0
            elif not isinstance(code_, int):
                sys.stderr.write(str(code_) + "\n")
                code_ = 1
            if code_ == 0:
                return _dumps({"status": "ok", "error": None, "exitCode": 0, "value": None})
            error = {"name": "SystemExit", "message": "exit code " + str(code_), "traceback": "", "line": _error(exc, filename)["line"]}
            return _dumps({"status": "error", "error": error, "exitCode": code_, "value": None})
        err = _error(exc, filename)
        # A syntax error in the user's file raised before any of its frames ran: it never started.
        if isinstance(exc, SyntaxError) and exc.filename == filename and not _has_frame(exc, filename):
            sys.stderr.write(err["traceback"])
            return _dumps({"status": "compile_error", "error": err, "exitCode": 1, "value": None})
        try:
            sys.stderr.write(err["traceback"])
        except BaseException:
            pass
        status = "memory_limit" if isinstance(exc, MemoryError) else "error"
        return _dumps({"status": status, "error": err, "exitCode": 1, "value": None})
    finally:
        _flush()

def warm_up():
    """Pay the compile path's first-call costs before any request exists."""
    steps = prepare("x = 1\nx", "<wasmbox-warmup>")
    eval(steps[0], {})
    _dumps({"a": [1, 2.5, None]})
    linecache.cache.pop("<wasmbox-warmup>", None)

def list_files():
    out = []
    for root, dirs, files in _walk(_WORKDIR):
        for name in files:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                out.append(os.path.relpath(full, _WORKDIR))
    return _dumps(out)
`;
