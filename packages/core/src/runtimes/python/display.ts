import { RICH_OUTPUT_CAPS } from "../../guest/rich-outputs.js";

/**
 * The rich-output half of the Python driver, run after it in the driver's own globals (it
 * uses the driver's sys, os and io, its bound json functions and `_dedent`): IPython's
 * display protocol (`display()` as a builtin, each `_repr_*_` method, `_repr_mimebundle_`), a
 * stand-in for `IPython.display` when no IPython can be imported, the last expression's rich
 * form, and matplotlib's figures (the Agg backend chosen just before it is imported;
 * `plt.show()` and the figures left open at the end become `image/png` outputs, as in Jupyter
 * and E2B). The driver's `prepare` empties the list (`_reset_outputs`), `finished` adds the
 * last expression's form, and the JS side reads the run's outputs with `take_outputs`.
 */
export const DISPLAY_SOURCE = String.raw`
_outputs = []
_dropped = [0, 0]  # past the count cap, past the bytes cap
_caps = [${RICH_OUTPUT_CAPS.maxOutputs}, ${RICH_OUTPUT_CAPS.maxTotalBytes}]  # the JS side checks again, with the host's measure
_b64encode = __import__("base64").b64encode
# The order IPython's formatters use; text/plain is the repr.
_MIME_METHODS = (
    ("image/png", "_repr_png_"), ("image/jpeg", "_repr_jpeg_"), ("image/svg+xml", "_repr_svg_"),
    ("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_"), ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)

def _reset_outputs():
    _outputs.clear()
    _dropped[0] = _dropped[1] = 0

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
    try:
        data = _bundle(value, include_plain=False)
    except BaseException as exc:
        _note("the last expression's rich form", exc)
        return
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

import importlib.abc as _abc, importlib.machinery as _machinery

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
        _reset_outputs()

`;
