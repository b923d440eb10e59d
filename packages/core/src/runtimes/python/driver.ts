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
    _outputs.clear()
    _dropped[0] = _dropped[1] = 0
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
    except BaseException as exc:
        _note("the last expression's rich form", exc)
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

# --- Rich outputs: IPython's display protocol, and matplotlib figures ----------------------

_outputs = []
_dropped = [0, 0]  # past the count cap, past the bytes cap
_caps = [100, 16 * 1024 * 1024]  # RICH_OUTPUT_CAPS (guest/rich-outputs.ts); the JS side checks again
_b64encode = __import__("base64").b64encode
# The order IPython's formatters use; text/plain is the repr.
_MIME_METHODS = (
    ("image/png", "_repr_png_"), ("image/jpeg", "_repr_jpeg_"), ("image/svg+xml", "_repr_svg_"),
    ("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_"), ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)

def _note(what, exc):
    try:
        sys.stderr.write("wasmbox: " + what + " raised " + type(exc).__name__ + ": " + str(exc) + "\n")
    except BaseException:
        pass

_MIME_TYPE = __import__("re").compile(r"[a-z]+/[a-z0-9][a-z0-9.+-]{0,100}")  # as the host's check has it
_a2b = __import__("binascii").a2b_base64
_JSON_MAX_DEPTH = 32  # the channel's frames nest at most 64 levels, the outcome's own included

def _shallow(v, depth=0):
    if isinstance(v, (list, dict)):
        if depth >= _JSON_MAX_DEPTH:
            return False
        return all(_shallow(x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))
    return True

def _mime_value(mime, v):
    """One MIME type's data as the contract has it (text types a string, JSON types JSON
    data, the rest base64), or None to leave it out."""
    if isinstance(v, tuple) and len(v) == 2:  # (data, metadata), as IPython allows
        v = v[0]
    if v is None or not isinstance(mime, str) or not _MIME_TYPE.fullmatch(mime):
        return None
    if mime == "application/json" or mime.endswith("+json"):
        if isinstance(v, (str, bytes)):
            try:
                v = _loads(v)
            except BaseException:
                return None
        try:
            v = _loads(_dumps(v, allow_nan=False))  # plain JSON data, nothing of the guest's types
        except BaseException:
            return None
        return v if _shallow(v) else None
    if mime.startswith("text/") or mime == "image/svg+xml":
        if isinstance(v, (bytes, bytearray)):
            return bytes(v).decode("utf-8", "replace")
        return str.__str__(v) if isinstance(v, str) else None
    if isinstance(v, str):  # already base64, as IPython allows: checked, and made canonical
        try:
            v = _a2b(v.encode("ascii"))
        except BaseException:
            return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _b64encode(bytes(v)).decode("ascii")
    return None

def _bundle(obj, include_plain=True):
    """The object's MIME bundle by IPython's rules: _repr_mimebundle_ first, then each
    _repr_*_ method for the types it left out, and text/plain from repr."""
    data = {}
    rich = not isinstance(obj, type)  # a class's _repr_*_ are unbound functions, not its repr
    method = getattr(obj, "_repr_mimebundle_", None) if rich else None
    if callable(method):
        try:
            r = method(include=None, exclude=None)
            if isinstance(r, tuple):
                r = r[0]
            if isinstance(r, dict):
                for mime, v in r.items():
                    v = _mime_value(mime, v)
                    if v is not None:
                        data[str.__str__(mime)] = v
        except BaseException as exc:
            _note(type(obj).__name__ + "._repr_mimebundle_()", exc)
    for mime, name in _MIME_METHODS if rich else ():
        if mime in data:
            continue
        method = getattr(obj, name, None)
        if not callable(method):
            continue
        try:
            v = _mime_value(mime, method())
        except BaseException as exc:
            _note(type(obj).__name__ + "." + name + "()", exc)
            continue
        if v is not None:
            data[mime] = v
    if include_plain and "text/plain" not in data:
        data["text/plain"] = _plain(obj)
    return data

def _plain(obj):
    try:
        return str.__str__(repr(obj))
    except BaseException:
        return "<unrepresentable " + type(obj).__name__ + ">"

def _size(data):
    try:
        return len(_dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    except BaseException:
        return _caps[1] + 1

def _emit(kind, data):
    """Keep one output, within the caps."""
    if not data:
        return
    if len(_outputs) >= _caps[0]:
        _dropped[0] += 1
        return
    size = _size(data)
    if size + sum(o[2] for o in _outputs) > _caps[1]:
        _dropped[1] += 1
        return
    _outputs.append((kind, data, size))

def display(*objs, include=None, exclude=None, metadata=None, transient=None, display_id=None, raw=False, clear=False, **kwargs):
    """Show objects as rich outputs, as IPython's display() does: each becomes one output of
    kind "display" holding every MIME type it has (raw=True: each object is a bundle already)."""
    for obj in objs:
        if raw:
            if isinstance(obj, dict):
                _emit("display", {str.__str__(m): v for m, v in ((m, _mime_value(m, v)) for m, v in obj.items() if isinstance(m, str)) if v is not None})
            continue
        data = _bundle(obj)
        if include:
            data = {m: v for m, v in data.items() if m in include}
        if exclude:
            data = {m: v for m, v in data.items() if m not in exclude}
        _emit("display", data)

def _result_output(value):
    """The last expression's rich form (kind "result"), when it has more than a repr."""
    if value is None:
        return
    data = _bundle(value, include_plain=False)
    if data:
        data.setdefault("text/plain", _plain(value))
        _emit("result", data)

def _flush_figures():
    """Every open matplotlib figure becomes an image/png output and is closed: what
    plt.show() does in Jupyter and E2B, and what happens to figures left open at the end."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        nums = list(plt.get_fignums())
    except BaseException as exc:
        _note("matplotlib.pyplot.get_fignums()", exc)
        return
    for num in nums:
        try:
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            _emit("display", {"image/png": _b64encode(buf.getvalue()).decode("ascii"), "text/plain": "<Figure " + str(num) + ">"})
        except BaseException as exc:
            _note("saving matplotlib figure " + str(num), exc)
        finally:
            try:
                plt.close(num)
            except BaseException:
                pass

def _show(*args, **kwargs):
    _flush_figures()

import importlib.abc as _abc, importlib.machinery as _machinery, importlib.util as _util

class _Loader(_abc.Loader):
    """Wraps a module's own loader to adjust the module once it has run."""
    def __init__(self, inner, after):
        self.inner, self.after = inner, after
    def create_module(self, spec):
        return self.inner.create_module(spec)
    def exec_module(self, module):
        self.inner.exec_module(module)
        self.after(module)

class _Hooks(_abc.MetaPathFinder):
    """matplotlib: the Agg backend, chosen just before it is imported (a program that never
    imports it pays nothing), and pyplot.show() making outputs. IPython: a small stand-in for
    IPython.display, only when no real IPython can be imported."""
    _busy = False
    def find_spec(self, name, path=None, target=None):
        if self._busy or name not in ("matplotlib", "matplotlib.pyplot", "IPython", "IPython.display"):
            return None
        _Hooks._busy = True
        try:
            spec = _machinery.PathFinder.find_spec(name, path)
            if spec is None and name == "IPython":
                for finder in sys.meta_path:
                    if finder is not self and finder is not _machinery.PathFinder and hasattr(finder, "find_spec"):
                        try:
                            spec = finder.find_spec(name, path, target)
                        except BaseException:
                            spec = None
                        if spec is not None:
                            break
        except BaseException:
            spec = None
        finally:
            _Hooks._busy = False
        if name == "matplotlib":
            # Just before matplotlib is imported (when it can be), unless the program chose a
            # backend itself (in its env, or os.environ).
            if spec is not None:
                os.environ.setdefault("MPLBACKEND", "Agg")
            return None
        if name == "matplotlib.pyplot":
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, lambda m: setattr(m, "show", _show))
                return spec
            return None
        if spec is not None:
            return None  # a real IPython
        parent = getattr(getattr(sys.modules.get("IPython"), "__spec__", None), "loader", None)
        if name == "IPython.display" and not isinstance(parent, _StandIn):
            return None
        return _machinery.ModuleSpec(name, _StandIn(), is_package=(name == "IPython"))

class _StandIn(_abc.Loader):
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        if module.__name__ == "IPython":
            # As in IPython, IPython.display is the module (display() is in it).
            module.__path__ = []
            __import__("IPython.display")
            return
        exec(_IPYTHON_DISPLAY, module.__dict__)
        module.display = display

_IPYTHON_DISPLAY = _dedent("""
    '''wasmbox's stand-in for IPython.display (no IPython is installed): display() and the common rich objects.'''
    import json as _json

    class DisplayObject:
        _binary = False
        def __init__(self, data=None, url=None, filename=None, metadata=None):
            if filename is not None:
                with open(filename, "rb" if self._binary else "r") as f:
                    data = f.read()
            self.data, self.url, self.filename, self.metadata = data, url, filename, metadata
        def _text(self):
            d = self.data
            return d.decode("utf-8", "replace") if isinstance(d, bytes) else ("" if d is None else str(d))
        def __repr__(self):
            return "<IPython.display." + type(self).__name__ + " object>"

    class HTML(DisplayObject):
        def _repr_html_(self):
            return self._text()

    class Markdown(DisplayObject):
        def _repr_markdown_(self):
            return self._text()

    class Latex(DisplayObject):
        def _repr_latex_(self):
            return self._text()

    class SVG(DisplayObject):
        def _repr_svg_(self):
            return self._text()

    class JSON(DisplayObject):
        def __init__(self, data=None, url=None, filename=None, expanded=False, metadata=None, root="root", **kwargs):
            super().__init__(data, url, filename, metadata)
            if isinstance(self.data, (str, bytes)):
                self.data = _json.loads(self.data)
        def _repr_json_(self):
            return self.data

    class Image(DisplayObject):
        _binary = True
        def __init__(self, data=None, url=None, filename=None, format=None, embed=None, width=None, height=None, metadata=None, **kwargs):
            if isinstance(data, str) and filename is None:
                data, filename = None, data
            super().__init__(data, url, filename, metadata)
            fmt = (format or "").lower()
            if not fmt and filename:
                fmt = filename.rsplit(".", 1)[-1].lower()
            head = bytes(self.data[:8]) if isinstance(self.data, (bytes, bytearray)) else b""
            if not fmt:
                fmt = "png" if head == b"\\x89PNG\\r\\n\\x1a\\n" else "jpeg" if head[:3] == b"\\xff\\xd8\\xff" else ""
            self.format = "jpeg" if fmt == "jpg" else fmt
            if self.format not in ("png", "jpeg"):
                raise ValueError("Image: only PNG and JPEG data are supported here, not " + repr(fmt or "data of an unknown format"))
        def _repr_png_(self):
            return self.data if self.format == "png" else None
        def _repr_jpeg_(self):
            return self.data if self.format == "jpeg" else None

    def clear_output(wait=False):
        pass
""")

sys.meta_path.insert(0, _Hooks())
import builtins as _builtins
_builtins.display = display

def take_outputs():
    """The run's outputs as JSON (open figures first become outputs), and how many were
    dropped; the list starts empty again for the next run."""
    try:
        _flush_figures()
    except BaseException:
        pass
    try:
        return _dumps({"outputs": [{"kind": k, "data": d} for k, d, _ in _outputs], "dropped": list(_dropped)}, ensure_ascii=False)
    except BaseException:
        return _dumps({"outputs": [], "dropped": [0, len(_outputs) + _dropped[1]]})
    finally:
        _outputs.clear()
        _dropped[0] = _dropped[1] = 0

def list_files():
    out = []
    for root, dirs, files in _walk(_WORKDIR):
        for name in files:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                out.append(os.path.relpath(full, _WORKDIR))
    return _dumps(out)
`;
