"""Combined conversation handling (CCH-*): one callback per conversation, whether it arrives
through ``'conversation'`` or through an accepted ring.

:class:`LRUCache` is a small pure-Python cache with npm ``lru-cache`` semantics for the
options the seed names (CCH-07): ``max`` (entries), ``ttl`` (milliseconds since the entry was
set) and ``maxSize`` (sum of ``sizeCalculation(value, key)``, default 1 per entry). The clock
is injectable (seconds, like ``loop.time``).

:class:`CombinedHandler` remembers the conversations it handed to the callback. A
conversation is handed over once; after it is evicted (max/ttl/maxSize) it may be handed
over again (CCH-05); when it ends it is removed (CCH-06).
"""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Generic, Hashable, Mapping, TypeVar

from ..errors import UsageError

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["LRUCache", "CombinedHandler", "DEFAULT_MAX", "DEFAULT_TTL_MS", "parse_combined_option"]

DEFAULT_MAX = 10_000                 # CCH-03
DEFAULT_TTL_MS = 24 * 60 * 60 * 1000  # one day

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    def __init__(self, max: int | None = None, ttl: int | None = None, max_size: int | None = None, *,
                 size_calculation: Callable[[V, K], int] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if max is None and ttl is None and max_size is None:
            raise UsageError("the LRU needs at least one of max, ttl or maxSize")
        for name, value in (("max", max), ("ttl", ttl), ("maxSize", max_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise UsageError(f"combinedConversationHandlingOptions.{name} must be a positive integer")
        self.max, self.ttl, self.max_size = max, ttl, max_size
        self._size_of = size_calculation or (lambda v, k: 1)
        self._clock = clock or time.monotonic
        self._data: OrderedDict[K, tuple[V, float, int]] = OrderedDict()   # value, set time (s), size
        self._total = 0

    def _expired(self, stamp: float) -> bool:
        return self.ttl is not None and (self._clock() - stamp) * 1000 >= self.ttl

    def _purge(self) -> None:
        if self.ttl is None:
            return
        for key in [k for k, (_, stamp, _) in self._data.items() if self._expired(stamp)]:
            self.delete(key)

    def has(self, key: K) -> bool:
        """Whether ``key`` is present and fresh (does not refresh its recency, like lru-cache)."""
        entry = self._data.get(key)
        if entry is None:
            return False
        if self._expired(entry[1]):
            self.delete(key)
            return False
        return True

    def get(self, key: K, default: Any = None) -> Any:
        if not self.has(key):
            return default
        self._data.move_to_end(key)
        return self._data[key][0]

    def set(self, key: K, value: V) -> None:
        size = self._size_of(value, key)
        if self.max_size is not None and size > self.max_size:
            raise UsageError(f"an entry of size {size} cannot fit maxSize {self.max_size}")
        self.delete(key)
        self._data[key] = (value, self._clock(), size)
        self._total += size
        self._purge()
        while (self.max is not None and len(self._data) > self.max) or \
                (self.max_size is not None and self._total > self.max_size):
            oldest = next(iter(self._data))
            self.delete(oldest)

    def delete(self, key: K) -> bool:
        entry = self._data.pop(key, None)
        if entry is None:
            return False
        self._total -= entry[2]
        return True

    def __len__(self) -> int:
        self._purge()
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return self.has(key)  # type: ignore[arg-type]


def parse_combined_option(option: Any) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """Check ``combined_conversation_handling`` (CCH-01, CCH-04); returns (callback, LRU kwargs).

    The options dict may be given as ``combinedConversationHandlingOptions`` or
    ``combined_conversation_handling_options``; absent, the defaults apply (10,000
    conversations for one day); present but empty, a :class:`UsageError` (A-19).
    """
    if option is None:
        return None
    if not isinstance(option, Mapping):
        raise UsageError("combined_conversation_handling must be a dict {'callback': fn, ...}")
    unknown = set(option) - {"callback", "combinedConversationHandlingOptions", "combined_conversation_handling_options"}
    if unknown:
        raise UsageError(f"unknown key(s) in combined_conversation_handling: {', '.join(sorted(unknown))}")
    callback = option.get("callback")
    if not callable(callback):
        raise UsageError("combined_conversation_handling needs a callable 'callback' taking a conversation")
    opts = option.get("combinedConversationHandlingOptions", option.get("combined_conversation_handling_options"))
    if opts is None:
        return callback, {"max": DEFAULT_MAX, "ttl": DEFAULT_TTL_MS}
    if not isinstance(opts, Mapping):
        raise UsageError("combinedConversationHandlingOptions must be a dict with max, ttl and/or maxSize")
    kwargs = {"max": opts.get("max"), "ttl": opts.get("ttl"),
              "max_size": opts.get("maxSize", opts.get("max_size"))}
    size_calc = opts.get("sizeCalculation", opts.get("size_calculation"))
    if all(v is None for v in kwargs.values()):
        raise UsageError("combinedConversationHandlingOptions needs at least one of max, ttl or maxSize")
    if kwargs["max_size"] is not None and size_calc is None:
        raise UsageError("maxSize needs sizeCalculation (a function (conversation, id) -> int), as in lru-cache")
    unknown = set(opts) - {"max", "ttl", "maxSize", "max_size", "sizeCalculation", "size_calculation"}
    if unknown:
        raise UsageError(f"unsupported combinedConversationHandlingOptions: {', '.join(sorted(unknown))}")
    if size_calc is not None:
        kwargs["size_calculation"] = size_calc
    LRUCache(**kwargs)            # validates the numbers now, in create_connection
    return callback, kwargs


class CombinedHandler:
    """Runs the callback at most once per cached conversation id (CCH-02)."""

    def __init__(self, callback: Callable[..., Any], lru_kwargs: dict[str, Any],
                 clock: Callable[[], float] | None = None) -> None:
        self.callback = callback
        self.cache: LRUCache[str, Conversation] = LRUCache(**lru_kwargs, clock=clock)

    def claim(self, conversation: Conversation) -> bool:
        """True when the callback should run for ``conversation`` now (and records it)."""
        key = conversation.conversation_id
        if self.cache.has(key):
            return False
        self.cache.set(key, conversation)
        return True

    def forget(self, conversation: Conversation) -> None:
        self.cache.delete(conversation.conversation_id)

    async def run(self, conversation: Conversation) -> None:
        result = self.callback(conversation)
        if inspect.isawaitable(result):
            await result
