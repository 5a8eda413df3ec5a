"""Generate lpweb's API reference (Markdown) from its docstrings; standard library only.

    python docs/apidoc.py [OUT_DIR]        # default dist/docs; normally run as `python build.py docs`

Writes ``OUT_DIR/api.md``: every name in ``lpweb.__all__`` (functions with their
signatures, classes with their public methods and properties, enums with their members,
the error tree), then the CLI modules and the testing helpers.
"""

from __future__ import annotations

import enum
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def doc(obj: Any) -> str:
    text = inspect.getdoc(obj) or ""
    return text.strip()


def signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def anchor(name: str) -> str:
    return name.lower().replace(".", "").replace("_", "-")


def document_function(name: str, fn: Any, level: str = "###") -> list[str]:
    prefix = "async " if inspect.iscoroutinefunction(fn) else ""
    out = [f"{level} `{prefix}{name}{signature(fn)}`", ""]
    if doc(fn):
        out += [doc(fn), ""]
    return out


def document_enum(name: str, cls: type[enum.Enum]) -> list[str]:
    out = [f"### enum `{name}`", ""]
    if doc(cls) and doc(cls) != doc(enum.Enum) and not doc(cls).startswith("An enumeration"):
        out += [doc(cls), ""]
    out += ["| member | value |", "|---|---|"]
    out += [f"| `{m.name}` | `{m.value!r}` |" for m in cls]
    return out + [""]


def document_class(name: str, cls: type) -> list[str]:
    bases = [b.__name__ for b in cls.__bases__ if b is not object]
    out = [f"### class `{name}`" + (f"({', '.join(bases)})" if bases else ""), ""]
    if doc(cls):
        out += [doc(cls), ""]
    if issubclass(cls, BaseException):
        return out
    init = cls.__dict__.get("__init__")
    if init is not None and not getattr(init, "__doc__", None) is None:
        out += [f"`{name}{signature(init).replace('(self, ', '(').replace('(self)', '()')}`", ""]
    members = []
    for attr, value in sorted(vars(cls).items()):
        if attr.startswith("_"):
            continue
        members.append((attr, value))
    for klass in cls.__mro__[1:]:
        if klass.__module__.startswith("lpweb") and klass.__name__ in ("EventEmitter", "Connection"):
            for attr, value in sorted(vars(klass).items()):
                if not attr.startswith("_") and attr not in dict(members):
                    members.append((attr, value))
    for attr, value in members:
        if isinstance(value, property):
            out += [f"- property `{attr}`" + (f": {doc(value).splitlines()[0]}" if doc(value) else ""), ""]
        elif isinstance(value, (staticmethod, classmethod)):
            out += document_function(f"{name}.{attr}", value.__func__, "####")
        elif inspect.isfunction(value):
            sig = signature(value).replace("(self, ", "(").replace("(self)", "()")
            prefix = "async " if inspect.iscoroutinefunction(value) else ""
            out += [f"#### `{prefix}{name}.{attr}{sig}`", ""]
            if doc(value):
                out += [doc(value), ""]
    return out


def events_section() -> list[str]:
    """Each emitter's events and payload types (lpweb.model.events), and the payload dicts' keys."""
    from lpweb.model import events

    owners = {"ConnectionEvents": "Connection (consumer and brand)", "ConversationEvents": "Conversation",
              "ConversationSubscriptionEvents": "ConversationSubscription",
              "BrandSubscriptionEvents": "RoutingTaskSubscription, AgentStateSubscription",
              "TokenMaintainerEvents": "TokenMaintainer"}
    out = ["## Events", "", doc(events).split("\n\n")[0], "",
           "Handlers take the payload (no argument where it says *none*); "
           "`await wait_for(event)` returns it and `events(event)` iterates over payloads.", ""]
    for mixin, table in events.EVENTS.items():
        out += [f"### {owners.get(mixin, mixin)}", "", "| event | payload |", "|---|---|"]
        out += [f"| `{name}` | {f'`{payload}`' if payload else '*none*'} |" for name, payload in table.items()]
        out.append("")
    out += ["### Payload dicts", ""]
    for name in events.__all__:
        cls = getattr(events, name)
        if isinstance(cls, type) and issubclass(cls, dict):
            hints = {key: getattr(hint, "__forward_arg__", hint) for key, hint in cls.__annotations__.items()}
            keys = ", ".join(f"`{key}`: `{hint}`" for key, hint in hints.items())
            out += [f"- `{name}`: {keys}. {' '.join(doc(cls).split())}", ""]
    return out


def error_tree(errors: ModuleType) -> list[str]:
    classes = [c for c in vars(errors).values() if inspect.isclass(c) and issubclass(c, errors.LPError)]
    lines = ["```"]

    def walk(cls: type, depth: int) -> None:
        lines.append("    " * depth + cls.__name__)
        for sub in sorted((c for c in classes if cls in c.__bases__), key=lambda c: c.__name__):
            walk(sub, depth + 1)

    walk(errors.LPError, 0)
    return lines + ["```", ""]


def generate() -> str:
    sys.path.insert(0, str(ROOT))
    import lpweb
    from lpweb import errors

    functions, classes, enums, excs, other = [], [], [], [], []
    for name in lpweb.__all__:
        obj = getattr(lpweb, name)
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            enums.append((name, obj))
        elif isinstance(obj, type) and issubclass(obj, BaseException):
            excs.append((name, obj))
        elif isinstance(obj, type):
            classes.append((name, obj))
        elif callable(obj):
            functions.append((name, obj))
        elif not isinstance(obj, ModuleType):
            other.append((name, obj))
    out = [f"# lpweb {lpweb.__version__} API reference", "",
           "Generated by `python build.py docs` from the docstrings. Everything here is importable "
           "from `lpweb` (`lpweb.__all__`).", "", doc(lpweb), "",
           "## Contents", "", "- [Functions](#functions)", "- [Classes](#classes)", "- [Events](#events)",
           "- [Enums](#enums)",
           "- [Errors](#errors)", "- [Constants](#constants)", "- [Testing helpers](#testing-helpers)",
           "- [Command line](#command-line)", ""]
    out += ["## Functions", ""]
    for name, fn in functions:
        out += document_function(name, fn)
    out += ["## Classes", ""]
    for name, cls in classes:
        out += document_class(name, cls)
    out += events_section()
    out += ["## Enums", ""]
    for name, cls in enums:
        out += document_enum(name, cls)
    out += ["## Errors", "", doc(errors), "", *error_tree(errors)]
    for name, cls in excs:
        out += document_class(name, cls)
    out += ["## Constants", ""]
    out += [f"- `{name}` = `{value!r}`" for name, value in other] + [""]
    import lpweb.testing as testing
    out += ["## Testing helpers", "", "`lpweb.testing` and its pytest plugin (`lpweb.testing.pytest_plugin`).", "",
            doc(testing), ""]
    for name in testing.__all__:
        obj = getattr(testing, name)
        if inspect.isclass(obj):
            out += document_class(f"lpweb.testing.{name}", obj)
        elif callable(obj):
            out += document_function(f"lpweb.testing.{name}", obj)
    try:
        import lpweb.testing.pytest_plugin as plugin
        out += ["### pytest fixtures", "", doc(plugin), ""]
    except ImportError:
        pass
    import lpweb.cli as cli
    out += ["## Command line", "", doc(cli), ""]
    for sub in ("chat", "bot", "echo_bot"):
        module = __import__(f"lpweb.cli.{sub}", fromlist=["_"])
        out += [f"### `lpweb.cli.{sub}`", "", doc(module), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else ROOT / "dist" / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "api.md"
    path.write_text(generate(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
