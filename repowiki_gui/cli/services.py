"""The services a command needs: the data dir, the manager (reused or started), the model, Redis probes."""
from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import ServiceError, SettingsError
from ..settings import Settings, default_home, prepare_home


def data_home(args) -> Path:
    return prepare_home(Path(args.home).expanduser() if args.home else default_home())


def make_manager(args):
    from ..jobs.manager import ServiceManager

    home = data_home(args)
    return ServiceManager(home, Settings.load(home), redis_url=args.redis_url)


def prepare_model(settings: Settings) -> None:
    """Assemble the bundled model before workers need it, with progress on stderr (the first run only).

    On a terminal one line counts up in place; otherwise (a log, a pipe) a line
    when assembly starts and one when it ends, so stderr stays readable.
    """
    from ..core.models.catalog import resolve

    tty = sys.stderr.isatty()
    shown = [-1]

    def progress(done: int, total: int, message: str) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == shown[0]:
            return
        if tty:
            print(f"\r  {message}: {pct}%", end="\n" if pct == 100 else "", file=sys.stderr, flush=True)
        elif shown[0] < 0 or pct == 100:
            print(f"  {message}: {'done' if pct == 100 else 'started (first start only)'}",
                  file=sys.stderr, flush=True)
        shown[0] = pct

    resolve(settings.llm_model, settings.llm_model_path, progress)


def start_services(args):
    """The services with workers, the settings' model assembled first."""
    manager = make_manager(args)
    prepare_model(manager.settings)
    return manager.start(workers=True)


def job_service(manager):
    from ..jobs.service import JobService

    return JobService(manager.connection(), manager.settings, manager.home)


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")  # [::1]:6380
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"--listen takes HOST:PORT (e.g. 10.0.0.5:6380), not {text!r}.")
    return host, int(port)


def listening_redis(manager, listen: tuple[str, int]):
    """Start this data dir's Redis with a TCP port, or check that the running one has it."""
    from ..jobs.redis_server import RedisServer

    server = RedisServer(manager.home, manager.settings.redis_start_timeout_s, listen=listen)
    if server.ping():
        client = server.client()
        try:
            port = client.info("server").get("tcp_port")
            bind = client.config_get("bind").get("bind", "")
        finally:
            client.close()
        if port != listen[1] or listen[0] not in bind.split():
            where = f"TCP {bind}:{port}" if port else "no TCP port"
            raise ServiceError(f"A Redis for {manager.home} already runs with {where}; stop the window or "
                               f"`repowiki serve` that started it, then run `repowiki serve --listen` again.")
    else:
        server.ensure()
    return server


def external_redis(url: str):
    """A checked connection to the Redis at ``url``: one clear sentence if it cannot be used."""
    import redis

    from ..jobs.redis_server import redacted_url

    safe = redacted_url(url)
    try:
        # No socket_timeout: rq blocks in BLPOP for longer than any short timeout.
        conn = redis.Redis.from_url(url, socket_connect_timeout=10, socket_keepalive=True)
    except ValueError as exc:
        raise SettingsError(f"The Redis URL {safe} is not valid ({exc}); use redis://:PASSWORD@HOST:PORT.") from exc
    try:
        conn.ping()
    except redis.AuthenticationError as exc:
        if not conn.connection_pool.connection_kwargs.get("password"):
            raise ServiceError(f"The Redis server at {safe} wants a password; give it in the URL "
                               "(redis://:PASSWORD@HOST:PORT, as `repowiki serve --listen` prints it).") from exc
        raise ServiceError(f"The Redis server at {safe} refused the password ({exc}); use the URL that "
                           "`repowiki serve --listen` printed.") from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise ServiceError(f"The Redis server at {safe} cannot be reached ({exc}).") from exc
    except redis.RedisError as exc:  # something answers there, but not a Redis we can use
        raise ServiceError(f"The server at {safe} does not answer as Redis ({exc}).") from exc
    return conn
