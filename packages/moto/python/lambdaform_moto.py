"""moto's server with state that survives a restart: a snapshot plus a journal of writes.

    python3 lambdaform_moto.py --port 5000 --state-dir DIR [--snapshot-every 30]

lambdaform's `pnpm dev` runs moto (the local AWS) through this module instead of `moto_server`.
moto keeps everything in memory. Replaying every request of earlier runs at start-up, as moto's
own recorder does, costs time in proportion to all requests ever made, reads included. Here:

- a *snapshot* (`snapshot.pkl`) is moto's whole in-memory state, pickled, written atomically on
  shutdown and every `--snapshot-every` seconds while something changed;
- a *journal* (`journal.jsonl`) holds each state-changing request since that snapshot, appended
  and fsynced before its answer goes back, so a process killed at any moment loses nothing it
  acknowledged;
- start-up loads the snapshot and replays the journal after it. A torn last line (a kill in the
  middle of an append) is dropped, and the start says so.

Replaying a request must recreate exactly the ids its first run gave out (Terraform's state and
the clients hold them). So every journaled request runs with a random generator of its own,
seeded from its sequence number, behind moto's `mock_random`, the `random` module and
`os.urandom`; and it sees moto's clock (`moto.core.utils.utcnow`) pinned to the time it first ran,
which the journal keeps. Reads run on the shared generator and are not journaled: they change no
state, and the next write re-seeds anyway.

A snapshot pickles moto's internal classes, so it loads only under the moto version that wrote it;
any other version refuses it with a message saying what to do. Pickle runs code when loaded: the
state directory is the user's own data directory, never anything downloaded.

moto is MIT-licensed; this module uses it as a library and changes none of its files.
"""
import argparse
import base64
import collections
import copyreg
import fcntl
import functools
import gc
import importlib
import io
import json
import os
import pickle
import random
import shutil
import signal
import sys
import threading
import time
import uuid
import weakref
from datetime import datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode

import moto
import moto.core.utils as moto_utils
from moto.core.base_backend import AccountSpecificBackend, BackendDict
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import MotoRandom
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

FORMAT = 1
CONTROL_PREFIX = "/_lambdaform-moto/"
_local = threading.local()  # .rng: this request's generator; .clock: [start time, calls]

# ---------------------------------------------------------------------------------------------
# 1. Determinism: a generator per journaled request, a clock pinned to its first run
# ---------------------------------------------------------------------------------------------


class _PerRequestRandom(MotoRandom):
    """`mock_random` is imported by value all over moto, so its class is swapped: the two methods
    every other one is built on use the current request's generator when there is one."""

    def random(self):
        rng = getattr(_local, "rng", None)
        return rng.random() if rng is not None else super().random()

    def getrandbits(self, k):
        rng = getattr(_local, "rng", None)
        return rng.getrandbits(k) if rng is not None else super().getrandbits(k)


class seeded:
    """Runs a block with a generator of its own (string seeds hash the same in every process)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def __enter__(self):
        self.previous, _local.rng = getattr(_local, "rng", None), self.rng

    def __exit__(self, *exc):
        _local.rng = self.previous


def _on_shared_generator(function):
    """Module imports and backend containers are made by whichever request comes first; they must
    not draw from that request's generator, or the ids of the request would depend on the order."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        previous = getattr(_local, "rng", None)
        if previous is None:
            return function(*args, **kwargs)
        _local.rng = None
        try:
            return function(*args, **kwargs)
        finally:
            _local.rng = previous

    return wrapper


def install_determinism(seed_base):
    """Installs the hooks once per process; returns moto's real clock."""
    if hasattr(moto_utils, "_lambdaform_real_utcnow"):
        return moto_utils._lambdaform_real_utcnow
    mock_random.__class__ = _PerRequestRandom
    random._inst.__class__ = _PerRequestRandom  # random.* functions (some services use them)
    real_urandom = os.urandom

    def urandom(n):  # kms key material and ciphertexts, uuid4
        rng = getattr(_local, "rng", None)
        return rng.randbytes(n) if rng is not None else real_urandom(n)

    os.urandom = urandom
    import builtins

    builtins.__import__ = _on_shared_generator(builtins.__import__)
    importlib.import_module = _on_shared_generator(importlib.import_module)
    AccountSpecificBackend.__init__ = _on_shared_generator(AccountSpecificBackend.__init__)
    BackendDict.__init__ = _on_shared_generator(BackendDict.__init__)

    # utcnow is imported by name into about a hundred modules; swapping its code reaches them all.
    real = type(moto_utils.utcnow)(moto_utils.utcnow.__code__, moto_utils.utcnow.__globals__)

    def clock():
        pinned = getattr(_local, "clock", None)
        if pinned is None:  # a read, or a background thread: real time
            return real()
        pinned[1] += 1  # a journaled request: its first run's start, + 1 µs per call
        return pinned[0] + timedelta(microseconds=pinned[1])

    moto_utils._lambdaform_clock, moto_utils._lambdaform_real_utcnow = clock, real

    def hooked_utcnow():
        return _lambdaform_clock()  # noqa: F821 (resolved in moto.core.utils' globals)

    moto_utils.utcnow.__code__ = hooked_utcnow.__code__

    # A region's backend (default VPC, subnets, …) is made lazily, by a read as often as a write:
    # seed it by what it is, so its ids do not depend on which request came first.
    get_region = AccountSpecificBackend.__getitem__

    def region_backend(self, region):
        key = "aws" if region == "global" else region
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        with seeded(f"{seed_base}:backend:{self.service_name}:{self.account_id}:{key}"):
            return get_region(self, region)

    AccountSpecificBackend.__getitem__ = region_backend
    return real


# ---------------------------------------------------------------------------------------------
# 2. Snapshots: pickle with reducers for the few objects moto keeps that plain pickle cannot take
# ---------------------------------------------------------------------------------------------


def _new_event(is_set):
    event = threading.Event()
    if is_set:
        event.set()
    return event


def _load_key(pem, private):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None) if private else serialization.load_pem_public_key(pem)


def _load_certificate(pem):
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def _named_factory(factory):
    """`defaultdict(lambda: {})` and the like: the same factory, as a type pickle can name."""
    if factory is None or "<" not in getattr(factory, "__qualname__", ""):
        return factory
    sample = factory()
    if type(sample) in (dict, list, set, int, float, str, tuple) and not sample:
        return type(sample)
    if type(sample) is collections.defaultdict and not sample:
        return functools.partial(collections.defaultdict, _named_factory(sample.default_factory))
    raise TypeError(f"defaultdict factory {factory.__qualname__} -> {sample!r} has no picklable name")


def _reduce_dict_subclass(obj):
    """A dict subclass is pickled by re-inserting its items through its own methods; s3's
    versioned key store then keeps only each key's latest version. Rebuild from the raw storage,
    and carry a defaultdict subclass's factory (ssm's ParameterDict) as state."""
    state = getattr(obj, "__dict__", None) or None
    if isinstance(obj, collections.defaultdict):
        factory = {"default_factory": _named_factory(obj.default_factory)}
        return copyreg.__newobj__, (type(obj),), (state, factory), None, iter(dict.items(obj))
    return copyreg._reconstructor, (type(obj), dict, dict(dict.items(obj))), state


_THREAD_INTERNALS = ("_tstate_lock", "_stderr", "_invoke_excepthook", "_target", "_args", "_kwargs")


def _reduce_thread(thread):
    """dynamodb's table exports and imports are threads: keep the model, as a finished thread."""
    state = {k: v for k, v in vars(thread).items() if k not in _THREAD_INTERNALS}
    state["_is_stopped"] = True
    return copyreg.__newobj__, (type(thread),), state


def _reduce_crypto(obj):
    """kms and cognito keys and acm certificates are Rust objects: through PEM."""
    from cryptography.hazmat.primitives import serialization as s

    if hasattr(obj, "private_bytes"):
        return _load_key, (obj.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()), True)
    if hasattr(obj, "public_numbers") or hasattr(obj, "public_bytes_raw"):
        return _load_key, (obj.public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo), False)
    if hasattr(obj, "tbs_certificate_bytes"):
        return _load_certificate, (obj.public_bytes(s.Encoding.PEM),)
    return NotImplemented


def _reduce_condition(condition):
    lock = threading.RLock if "RLock" in type(condition._lock).__name__ else threading.Lock
    return threading.Condition, (lock(),)


_REDUCERS = {  # exact types; a lock comes back unlocked
    type(threading.Lock()): lambda o: (threading.Lock, ()),
    type(threading.RLock()): lambda o: (threading.RLock, ()),
    threading.Condition: _reduce_condition,  # sqs queues
    threading.Event: lambda o: (_new_event, (o.is_set(),)),
    weakref.WeakValueDictionary: lambda o: (weakref.WeakValueDictionary, (dict(o.items()),)),  # lambda
    weakref.WeakKeyDictionary: lambda o: (weakref.WeakKeyDictionary, (dict(o.items()),)),
    collections.defaultdict: lambda o: (
        collections.defaultdict,
        (_named_factory(o.default_factory),),
        None,
        None,
        iter(o.items()),
    ),
}

# State moto keeps outside its backends that must travel with them: (module, class or None, name).
_CLASS_STATE = [
    ("moto.logs.models", "LogEvent", "_event_id"),  # event ids, or new events would reuse old ones
    ("moto.logs.models", "LogStream", "_log_ids"),
    ("moto.core.authorization", "ActionAuthenticatorMixin", "request_count"),
    ("moto.securityhub.models", "SecurityHubBackend", "_org_configs"),
    ("moto.ec2.models.vpcs", None, "DEFAULT_VPC_ENDPOINT_SERVICES"),  # random ids, made once
]


def _backend_dict_name(backend_dict, _names={}):
    """`module:name` of the module global that holds a BackendDict (`moto.sqs.models:sqs_backends`)."""
    if id(backend_dict) not in _names:
        modules = [sys.modules.get(backend_dict.backend.__module__)]
        modules += [m for n, m in list(sys.modules.items()) if n.startswith("moto.")]
        _names[id(backend_dict)] = next(
            f"{m.__name__}:{attr}" for m in modules if m for attr, value in vars(m).items() if value is backend_dict
        )
    return _names[id(backend_dict)]


def _backend_dict(name):
    module, attr = name.split(":")
    return getattr(importlib.import_module(module), attr)


class _Pickler(pickle.Pickler):
    dispatch_table = {**copyreg.dispatch_table, **_REDUCERS}

    def __init__(self, file, accounts):
        super().__init__(file, protocol=5)
        self.accounts = accounts  # id(AccountSpecificBackend) -> (BackendDict name, account)

    def reducer_override(self, obj):  # subclasses: not called for plain dicts, lists, …
        kind = type(obj)
        if isinstance(obj, dict) and kind.__module__.startswith("moto.") and (
            kind.__setitem__ is not dict.__setitem__ or isinstance(obj, collections.defaultdict)
        ):
            return _reduce_dict_subclass(obj)
        if isinstance(obj, threading.Thread):
            return _reduce_thread(obj)
        if kind.__module__.startswith("cryptography.hazmat.bindings"):
            return _reduce_crypto(obj)
        return NotImplemented

    def persistent_id(self, obj):  # the containers are module globals: refer to them by name
        if isinstance(obj, BackendDict):
            return ("backends", _backend_dict_name(obj))
        if isinstance(obj, AccountSpecificBackend) and id(obj) in self.accounts:
            return ("account",) + self.accounts[id(obj)]
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        backends = _backend_dict(pid[1])
        return backends if pid[0] == "backends" else backends[pid[2]]


def _holder(module, cls):
    mod = importlib.import_module(module)
    return getattr(mod, cls) if cls else mod


def save_snapshot(path, seq):
    """Pickles every backend and the state beside them; atomic (temp file, fsync, rename)."""
    from moto.utilities.id_generator import moto_id_manager

    backend_dicts = list({id(b): b for b in BackendDict._instances}.values())
    accounts = {id(a): (_backend_dict_name(b), acct) for b in backend_dicts for acct, a in b.items()}
    state = {
        "format": FORMAT,
        "moto": moto.__version__,
        "seq": seq,
        "backends": {_backend_dict_name(b): {acct: dict(a) for acct, a in b.items()} for b in backend_dicts},
        "random": mock_random.getstate(),
        "transitions": dict(moto.moto_api.state_manager._transitions),
        "moto_api": vars(moto.moto_api._internal.moto_api_backend),
        "custom_ids": dict(moto_id_manager._custom_ids),
        "class_state": {
            (m, c, a): getattr(_holder(m, c), a) for m, c, a in _CLASS_STATE if m in sys.modules
        },
    }
    staging = f"{path}.{os.getpid()}.tmp"
    with open(staging, "wb") as file:
        _Pickler(file, accounts).dump(state)
        file.flush()
        os.fsync(file.fileno())
    os.replace(staging, path)
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    os.fsync(directory)
    os.close(directory)
    return os.path.getsize(path)


class SnapshotVersionError(RuntimeError):
    pass


def load_snapshot(path):
    """Loads a snapshot into the running moto; returns the journal sequence it covers."""
    from moto.utilities.id_generator import moto_id_manager

    BackendDict.reset()
    with open(path, "rb") as file:
        state = _Unpickler(file).load()
    if state.get("format") != FORMAT or state.get("moto") != moto.__version__:
        raise SnapshotVersionError(
            f"{path} was written by moto {state.get('moto')} (format {state.get('format')}); this is moto "
            f"{moto.__version__}. Install moto {state.get('moto')}, or move the data directory aside to start "
            "from an empty stack."
        )
    for name, by_account in state["backends"].items():
        backend_dict = _backend_dict(name)
        for account, regions in by_account.items():
            holder = backend_dict[account]
            dict.clear(holder)
            dict.update(holder, regions)
    mock_random.setstate(state["random"])
    moto.moto_api.state_manager._transitions.update(state["transitions"])
    vars(moto.moto_api._internal.moto_api_backend).update(state["moto_api"])
    moto_id_manager._custom_ids.update(state["custom_ids"])
    for (module, cls, attr), value in state["class_state"].items():
        holder = _holder(module, cls)
        current = getattr(holder, attr)
        if isinstance(current, dict):  # module dicts may be imported by name elsewhere
            current.clear()
            current.update(value)
        else:
            setattr(holder, attr, value)
    return state["seq"]


# ---------------------------------------------------------------------------------------------
# 3. The journal: every state-changing request, replayed at start-up after the snapshot
# ---------------------------------------------------------------------------------------------

_READS = ("Describe", "List", "Get", "Head", "Scan", "Query", "BatchGet", "Lookup", "Search", "Filter",
          "Select", "Test", "Validate")


def _action(environ, body):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return (parse_qs(body.decode("utf-8", "replace")).get("Action") or [None])[0]
    return (parse_qs(environ.get("QUERY_STRING", "")).get("Action") or [None])[0]


def changes_state(environ, body):
    """Whether a request can change moto's state: any REST write, and any query or JSON action
    that is not a read by its name."""
    if environ["REQUEST_METHOD"] in ("GET", "HEAD", "OPTIONS"):
        return False
    if environ.get("PATH_INFO", "").startswith("/moto-api/"):
        return False  # moto's own control API: never part of the state's history
    action = _action(environ, body)
    return not action.startswith(_READS) if action else True


def _read_body(environ):
    if environ.get("CONTENT_LENGTH"):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    elif environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _long_poll(environ, body):
    """An SQS ReceiveMessage that waits: (seconds, the same request not waiting). A journaled
    request sees a pinned clock, so it must never wait on moto's clock itself."""
    if _action(environ, body) != "ReceiveMessage":
        return 0, body
    if environ.get("HTTP_X_AMZ_TARGET"):
        request = json.loads(body or b"{}")
        seconds, request["WaitTimeSeconds"] = int(request.get("WaitTimeSeconds") or 0), 0
        return seconds, json.dumps(request).encode()
    form = parse_qsl(body.decode(), keep_blank_values=True)
    seconds = int(dict(form).get("WaitTimeSeconds", 0))
    return seconds, urlencode([(k, "0" if k == "WaitTimeSeconds" else v) for k, v in form]).encode()


def _has_messages(out):
    return bool(json.loads(out).get("Messages")) if out.startswith(b"{") else b"<Message>" in out


def _queue_depths():
    """How many messages each SQS queue holds. A receive that returns nothing can still change
    them: moto moves a message past its redrive policy's maxReceiveCount to the dead-letter queue,
    and drops messages past their retention, while receiving."""
    from moto.sqs.models import sqs_backends

    return sorted(
        (account, region, name, len(queue._messages))
        for account, regions in list(sqs_backends.items())
        for region, backend in list(regions.items())
        for name, queue in list(backend.queues.items())
    )


class JournalError(RuntimeError):
    """The journal cannot be trusted: a broken entry before its last line."""


class StateInUseError(RuntimeError):
    """Another process serves the same state directory."""


def lock_state_dir(state_dir):
    """Holds an exclusive lock on the state directory for this process's lifetime: two servers
    appending to one journal would interleave two histories into one that replays as neither."""
    handle = open(os.path.join(state_dir, "lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        raise StateInUseError(
            f"{state_dir} is in use by {holder}: stop that pnpm dev first, or give this one another --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


class PersistentMoto:
    """moto's WSGI application, journaling its writes, with snapshots and replay."""

    _ENVIRON = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE")

    def __init__(self, state_dir, seed_base):
        self.app = DomainDispatcherApplication(create_backend_app)
        self.seed_base = seed_base
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.snapshot_path = os.path.join(state_dir, "snapshot.pkl")
        self.journal_path = os.path.join(state_dir, "journal.jsonl")
        self.lock = threading.RLock()  # one journaled request, snapshot or replay at a time
        self.seq = self.saved_seq = 0
        self.real_urandom = os.urandom
        self.real_utcnow = install_determinism(seed_base)
        self.journal = None
        self.writer = None  # the pid of a snapshot being written aside (see snapshot_aside)
        self.restored = {}
        self.mismatches = 0  # journal entries whose replay answered otherwise than when recorded

    def _state_id(self):
        """The identity of this state's history: new when the state starts empty (or is reset), kept
        across restarts. Whoever keeps a record of what they deployed here keeps it with this id."""
        path = os.path.join(self.state_dir, "state-id")
        has_history = os.path.exists(self.snapshot_path) or os.path.exists(self.journal_path)
        if has_history and os.path.exists(path):
            with open(path) as file:
                return file.read().strip()
        return self._new_state_id()

    def _new_state_id(self):
        state_id = str(uuid.UUID(bytes=self.real_urandom(16), version=4))
        path = os.path.join(self.state_dir, "state-id")
        with open(path + ".tmp", "w") as file:
            file.write(state_id + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(path + ".tmp", path)
        return state_id

    def restore(self):
        started = time.time()
        self.state_id = self._state_id()
        if os.path.exists(self.snapshot_path):
            self.seq = self.saved_seq = load_snapshot(self.snapshot_path)
        loaded = time.time() - started
        replayed, dropped = self.replay()
        self.journal = open(self.journal_path, "ab")
        self.restored = {
            "snapshot_seq": self.saved_seq,
            "snapshot_s": round(loaded, 3),
            "replayed": replayed,
            "dropped_bytes": dropped,
            "seconds": round(time.time() - started, 3),
            "mismatches": self.mismatches,
        }
        return self.restored

    def snapshot(self):
        """Writes a snapshot of the state now; the journal starts again after it."""
        with self.lock:
            self._wait_for_writer()  # an older state must not be renamed over this one after it
            started = time.time()
            for attempt in range(3):  # a read may add a region backend while pickling
                try:
                    size = save_snapshot(self.snapshot_path, self.seq)
                    break
                except RuntimeError as error:
                    if attempt == 2:
                        raise
                    print(f"snapshot retried: {error}", file=sys.stderr, flush=True)
            self.journal.truncate(0)
            self.journal.flush()
            os.fsync(self.journal.fileno())
            self.saved_seq = self.seq
            return {"seq": self.seq, "bytes": size, "seconds": round(time.time() - started, 3)}

    def snapshot_aside(self):
        """The periodic snapshot, written by a forked copy of this process. Pickling the whole state
        takes as long as the state is big (16 s at 300 MB, the log events of 330,000 API requests),
        and under the lock no write was answered meanwhile. The copy holds the state as of the fork
        (copy-on-write) and pickles it while this process goes on answering; once it has written
        the snapshot, the journal keeps only what came after the fork. Where there is no fork, the
        snapshot is written here, as at shutdown."""
        if not hasattr(os, "fork"):
            return self.snapshot()
        with self.lock:
            self._wait_for_writer()
            seq, offset, started = self.seq, self.journal.tell(), time.time()
            self.journal.flush()
            pid = os.fork()
            if pid == 0:  # the copy: only this thread exists here; never return into the server
                code = 1
                try:
                    save_snapshot(self.snapshot_path, seq)
                    code = 0
                finally:
                    os._exit(code)
            self.writer = pid
            paused = time.time() - started
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # a shutdown or reset snapshot waited for it first
            status = None
        with self.lock:
            if self.writer != pid:  # a shutdown snapshot waited for it and wrote a newer one
                return {"seq": seq, "superseded": True}
            self.writer = None
            if status != 0:
                raise RuntimeError(f"the snapshot writer (pid {pid}) failed with status {status}")
            self._keep_journal_from(offset)
            self.saved_seq = seq
            return {
                "seq": seq,
                "bytes": os.path.getsize(self.snapshot_path),
                "seconds": round(time.time() - started, 3),
                "paused_s": round(paused, 3),
            }

    def _wait_for_writer(self):
        """Waits for a snapshot being written aside (called with the lock held)."""
        if self.writer is not None:
            try:
                os.waitpid(self.writer, 0)
            except ChildProcessError:
                pass  # reaped by the thread that forked it
            self.writer = None

    def _keep_journal_from(self, offset):
        """Drops the journal's entries before `offset` (those the snapshot holds); atomic."""
        self.journal.flush()
        staging = f"{self.journal_path}.tmp"
        with open(self.journal_path, "rb") as current, open(staging, "wb") as kept:
            current.seek(offset)
            shutil.copyfileobj(current, kept)
            kept.flush()
            os.fsync(kept.fileno())
        os.replace(staging, self.journal_path)
        self.journal.close()
        self.journal = open(self.journal_path, "ab")

    def _run(self, environ, seq, now):
        reply = {}

        def start_response(status, headers, exc_info=None):
            reply["status"], reply["headers"] = status, headers
            return lambda data: None

        previous, _local.clock = getattr(_local, "clock", None), [now, 0]
        try:
            with seeded(f"{self.seed_base}:req:{seq}"):
                chunks = self.app(environ, start_response)
                try:
                    out = b"".join(chunks)
                finally:
                    getattr(chunks, "close", lambda: None)()
        finally:
            _local.clock = previous
        return reply["status"], reply["headers"], out

    def _journaled(self, environ, body, receive=False):
        """Runs a request that may change the state and journals it before its answer goes back.
        A receive that returned no message and moved none is left out: a dev stack's pollers ask
        every second, and those would fill the journal with nothing."""
        with self.lock:
            self.seq += 1
            seq, now = self.seq, self.real_utcnow()
            before = _queue_depths() if receive else None
            status, headers, out = self._run(environ, seq, now)
            code = int(status.split()[0])
            changed = not receive or _has_messages(out) or _queue_depths() != before
            if code < 400 and changed:
                entry = {
                    "seq": seq,
                    "now": now.isoformat(),
                    "status": code,
                    "env": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k in self._ENVIRON},
                    "body": base64.b64encode(body).decode(),
                }
                self._append(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
            elif receive:
                self.seq -= 1  # nothing happened: the sequence numbers stay those of the journal
        return status, headers, out

    def _append(self, line):
        """Appends one entry durably. If that fails (a full disk), the journal is cut back to its
        last whole entry and the process stops before answering: moto's memory now holds a change
        the journal does not, and answering would acknowledge something a restart loses."""
        offset = self.journal.tell()
        try:
            self.journal.write(line)
            self.journal.flush()
            os.fsync(self.journal.fileno())
        except OSError as error:
            try:
                self.journal.truncate(offset)
            finally:
                print(
                    f"lambdaform-moto: could not write the journal ({error}); stopped with the state as of "
                    f"the last entry written. Free space in {self.state_dir} and start again.",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(5)

    def _reset(self, environ, start_response):
        """moto's own reset, then a snapshot of the empty state under a new id: the journal's
        history from before the reset must not come back on the next start."""
        with self.lock:
            out = b"".join(self.app(environ, start_response))
            self.snapshot()
            self.state_id = self._new_state_id()
        return [out]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        if environ.get("PATH_INFO") == "/moto-api/reset" and environ["REQUEST_METHOD"] == "POST":
            return self._reset(environ, start_response)
        body = _read_body(environ)
        if not changes_state(environ, body):
            return self.app(environ, start_response)
        seconds, short = _long_poll(environ, body)
        receive = _action(environ, body) == "ReceiveMessage"
        if not seconds:
            status, headers, out = self._journaled(environ, body, receive=receive)
        else:
            deadline = time.monotonic() + seconds
            while True:
                poll = dict(environ, CONTENT_LENGTH=str(len(short)))
                poll["wsgi.input"] = io.BytesIO(short)
                status, headers, out = self._journaled(poll, short, receive=True)
                if _has_messages(out) or time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
        start_response(status, headers)
        return [out]

    def replay(self):
        """Re-runs the journal's entries after the snapshot, with their seeds and clocks. A torn
        last line (a kill in the middle of an append) is dropped and the file cut back to the last
        whole entry; a broken entry anywhere before it is corruption, and the start stops naming
        it. Returns (entries replayed, bytes dropped)."""
        if not os.path.exists(self.journal_path):
            return 0, 0
        with open(self.journal_path, "rb") as file:
            data = file.read()
        replayed, good = 0, 0
        lines = data.splitlines(keepends=True)
        for number, line in enumerate(lines, start=1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no end of line")
                entry = json.loads(line)
            except ValueError as error:
                if number < len(lines):
                    raise JournalError(
                        f"{self.journal_path}: entry on line {number} (byte {good}) is broken ({error}) and "
                        f"{len(lines) - number} more follow it, so the state cannot be rebuilt. Move "
                        f"{self.state_dir} aside to start with an empty stack (pnpm dev applies the stack again)."
                    ) from None
                break
            good += len(line)
            if entry["seq"] <= self.seq:
                continue
            body = base64.b64decode(entry["body"])
            environ = {
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http",
                "wsgi.version": (1, 0),
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "0",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                **entry["env"],
            }
            status, _, out = self._run(environ, entry["seq"], datetime.fromisoformat(entry["now"]))
            if int(status.split()[0]) != entry["status"]:
                self.mismatches += 1
                print(
                    f"journal: entry {entry['seq']} answered {status} on replay, {entry['status']} when recorded: "
                    f"{out[:200]!r}",
                    file=sys.stderr,
                    flush=True,
                )
            self.seq = entry["seq"]
            replayed += 1
        dropped = len(data) - good
        if dropped:
            with open(self.journal_path, "r+b") as file:
                file.truncate(good)
                os.fsync(file.fileno())
        return replayed, dropped

    def _control(self, environ, start_response):
        command = environ["PATH_INFO"][len(CONTROL_PREFIX):]
        try:
            if command == "snapshot" and environ["REQUEST_METHOD"] == "POST":
                aside = parse_qs(environ.get("QUERY_STRING", "")).get("aside") == ["1"]
                result = self.snapshot_aside() if aside else self.snapshot()
            elif command == "status":
                result = {"seq": self.seq, "saved_seq": self.saved_seq, "restored": self.restored,
                          "state_id": self.state_id, "mismatches": self.mismatches, "moto": moto.__version__}
            else:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"message":"unknown command"}']
            code = "200 OK"
        except Exception as error:  # noqa: BLE001 - said to the caller
            result, code = {"message": f"{type(error).__name__}: {error}"}, "500 Internal Server Error"
        start_response(code, [("Content-Type", "application/json")])
        return [json.dumps(result).encode()]


def freeze_heap():
    """Moves every object alive now out of the cyclic collector's reach (`gc.freeze`), and makes
    its youngest generation collect less often. moto's state is one large graph of long-lived
    objects (every stored item, object, log event and metric datum); each full collection walked
    all of it while holding the GIL, which stalled every request for as long as the heap was big.
    Reference counting still frees what becomes garbage; only cycles among frozen objects wait."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--snapshot-every", type=float, default=30.0, help="seconds; 0: only on shutdown")
    parser.add_argument("--seed-base", type=int, default=2026)
    parser.add_argument("--parent-pid", type=int, help="stop (after a snapshot) once this process is gone")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs with it

    persistent = PersistentMoto(args.state_dir, args.seed_base)
    try:
        lock = lock_state_dir(args.state_dir)  # noqa: F841 - held until the process exits
        print(f"restored: {json.dumps(persistent.restore())}", flush=True)
        freeze_heap()
    except StateInUseError as error:
        print(f"lambdaform-moto: {error}", file=sys.stderr, flush=True)
        sys.exit(4)
    except (SnapshotVersionError, JournalError) as error:
        print(f"lambdaform-moto: {error}", file=sys.stderr, flush=True)
        sys.exit(3)
    server = make_server(args.host, args.port, persistent, threaded=True)

    def periodic():
        while True:
            time.sleep(args.snapshot_every)
            if persistent.seq != persistent.saved_seq:
                try:
                    print(f"snapshot: {json.dumps(persistent.snapshot_aside())}", flush=True)
                    freeze_heap()
                except Exception as error:  # noqa: BLE001 - the journal still holds every write
                    print(f"snapshot failed (the journal keeps every write; retried next period): "
                          f"{type(error).__name__}: {error}", file=sys.stderr, flush=True)

    if args.snapshot_every > 0:
        threading.Thread(target=periodic, daemon=True).start()

    def stop(signum, frame):
        try:
            print(f"snapshot at shutdown: {json.dumps(persistent.snapshot())}", flush=True)
        finally:
            os._exit(0)

    def watch_parent():
        # Started in a process group of its own (so a terminal's Ctrl-C reaches the parent, which
        # stops this after its own last writes): this must not outlive a parent that was killed.
        while os.getppid() == args.parent_pid:
            time.sleep(1)
        print("parent gone", flush=True)
        stop(None, None)

    if args.parent_pid:
        threading.Thread(target=watch_parent, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
