/**
 * The Python half of the Python runtime: sets up the guest's process state, runs the
 * code as `__main__`, and describes the outcome as JSON. Kept as source text so it is
 * loaded into Pyodide without touching any filesystem.
 */
export const DRIVER_SOURCE = String.raw`
import builtins, io, json, linecache, os, sys, traceback, __main__
from pyodide.code import eval_code_async

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

async def run(code, filename, value_limit):
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    outcome = {"status": "ok", "error": None, "exitCode": 0, "value": None}
    try:
        value = await eval_code_async(code, __main__.__dict__, filename=filename, return_mode="last_expr")
        outcome["value"] = _value(value, value_limit)
    except SystemExit as exc:
        code_ = exc.code
        if code_ is None:
            code_ = 0
        elif not isinstance(code_, int):
            sys.stderr.write(str(code_) + "\n")
            code_ = 1
        outcome["exitCode"] = code_
        if code_ != 0:
            outcome["status"] = "error"
            outcome["error"] = {"name": "SystemExit", "message": "exit code " + str(code_), "traceback": "", "line": _error(exc, filename)["line"]}
    except BaseException as exc:
        err = _error(exc, filename)
        # A syntax error in the user's file raised before any of its frames ran: it never started.
        if isinstance(exc, SyntaxError) and exc.filename == filename and not _has_frame(exc, filename):
            sys.stderr.write(err["traceback"])
            return _dumps({"status": "compile_error", "error": err, "exitCode": 1, "value": None})
        try:
            sys.stderr.write(err["traceback"])
        except BaseException:
            pass
        outcome["status"] = "memory_limit" if isinstance(exc, MemoryError) else "error"
        outcome["error"] = err
        outcome["exitCode"] = 1
    finally:
        _flush()
    return _dumps(outcome)

async def warm_up():
    await eval_code_async("None", {}, filename="<wasmbox-warmup>", return_mode="last_expr")
    _dumps({"a": [1, 2.5, None]})

def list_files():
    out = []
    for root, dirs, files in _walk(_WORKDIR):
        for name in files:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                out.append(os.path.relpath(full, _WORKDIR))
    return _dumps(out)
`;
