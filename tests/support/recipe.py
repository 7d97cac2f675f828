"""The production recipe (README "Running in production") in a throwaway root.

What systemd would do with deploy/microblog.service, done by hand so a test
can run it anywhere as root: read the unit, move every path it names into
the root, create the folders it asks systemd for, read the environment file
as systemd does, and run its Exec lines with that environment, in its
working directory, as its user. The code tree is root-owned and not writable
by that user, as ProtectSystem=strict makes /srv at run time.
"""
from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "microblog.service"
WORKER_UNIT = ROOT / "deploy" / "microblog-worker.service"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Where the recipe puts things on a real host; each moves under the root.
HOST_PATHS = ("/srv/microblog", "/etc/microblog", "/var/log/microblog", "/run/microblog", "/var/lib/microblog")
_HOST_PATH = re.compile(r"(?<![\w/.])(" + "|".join(re.escape(p) for p in HOST_PATHS) + r")(?=/|\b|$)")
# The README's command (useradd is in `passwd`, on every Debian; adduser is not).
CREATE_USER = ["useradd", "--system", "--user-group", "--home-dir", "/srv/microblog", "--no-create-home",
               "--shell", "/usr/sbin/nologin"]
# What systemd's manager gives every service before Environment= lines.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Unit:
    """The [Service] settings of a unit file: each key's values in order."""

    settings: dict[str, list[str]] = field(default_factory=dict)

    def one(self, key: str) -> str:
        values = self.settings.get(key, [])
        assert len(values) == 1, f"{UNIT.name}: expected one {key}=, found {values}"
        return values[0]

    def all(self, key: str) -> list[str]:
        return self.settings.get(key, [])

    def words(self, key: str) -> list[str]:
        """Space-separated lists (RuntimeDirectory=a b), over every line."""
        return [word for value in self.all(key) for word in shlex.split(value)]

    def commands(self, key: str) -> list[list[str]]:
        commands = []
        for value in self.all(key):
            # "-" (failure ignored) is the only prefix the recipe may use.
            argv = shlex.split(value.removeprefix("-"))
            assert not argv[0].startswith(("@", "+", ":", "!")), f"prefix not emulated: {value}"
            commands.append(argv)
        return commands

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for value in self.all("Environment"):
            for assignment in shlex.split(value):
                name, _, val = assignment.partition("=")
                env[name] = val
        return env


def parse_unit(text: str) -> Unit:
    unit, section = Unit(), None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _, value = line.partition("=")
            unit.settings.setdefault(key.strip(), []).append(value.strip())
    return unit


def parse_environment_file(text: str) -> dict[str, str]:
    """systemd's EnvironmentFile= format: KEY=VALUE lines, # and ; comments,
    values optionally quoted."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"not an assignment: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[name.strip()] = value
    return env


def set_values(text: str, values: dict[str, str]) -> str:
    """Give settings the file already has new values, as an operator editing
    it would; a setting the file lacks is an error (the recipe must list it)."""
    for name, value in values.items():
        line = f"{name}={value}"
        text, count = re.subn(rf"(?m)^{re.escape(name)}=.*$", lambda _, line=line: line, text)
        assert count == 1, f"{ENV_EXAMPLE.name} should set {name} exactly once, sets it {count} times"
    return text


def use_local_inbox(text: str, port: int) -> str:
    """Follow env.example's own instructions for mail set-up 2 (the
    development inbox): comment out set-up 1's five lines, uncomment two."""
    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD"):
        text, count = re.subn(rf"(?m)^{name}=", f"# {name}=", text)
        assert count == 1, f"{ENV_EXAMPLE.name}: set-up 1 should set {name} once"
    for name, value in (("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", "8025")):
        text, count = re.subn(rf"(?m)^# {name}={re.escape(value)}$", f"{name}={value}", text)
        assert count == 1, f"{ENV_EXAMPLE.name}: set-up 2 should offer {name}={value}"
    return set_values(text, {"MAIL_PORT": str(port)})  # a free port, not the inbox's default


def leftover_host_paths(text: str) -> list[str]:
    """Host paths (HOST_PATHS) still in ``text`` after Root.rewrite."""
    return _HOST_PATH.findall(text)


class Root:
    """A throwaway filesystem root under /tmp that another user can traverse."""

    def __init__(self) -> None:
        # Not pytest's tmp_path: its parent is mode 700, so the service user
        # could not reach anything in it.
        self.path = Path(tempfile.mkdtemp(prefix="microblog-recipe-"))
        self.path.chmod(0o755)

    def host(self, path: str) -> Path:
        """Where a host path (/srv/microblog/...) lives in this root."""
        return self.path / path.lstrip("/")

    def rewrite(self, text: str) -> str:
        return _HOST_PATH.sub(lambda m: str(self.host(m.group(1))), text)

    def makedirs(self, path: Path) -> None:
        """Every missing folder up to ``path``, mode 755 whatever the umask."""
        missing = [p for p in [path, *path.parents] if p.is_relative_to(self.path) and not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            folder.chmod(0o755)

    def install_code(self, user: str) -> Path:
        """The checkout's files (what `git clone` would give, plus files not
        committed yet) in /srv/microblog, owned by root and read-only to
        ``user``; .venv is the checkout's own."""
        code = self.host("/srv/microblog")
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = ROOT / name
            if not source.is_file():  # deleted in the working tree
                continue
            target = code / name
            self.makedirs(target.parent)
            shutil.copy2(source, target)
        (code / ".venv").symlink_to(ROOT / ".venv")
        for path in [code, *code.rglob("*")]:
            if path.is_symlink():
                continue
            os.chown(path, 0, 0)
            path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o022 | 0o444 | (0o111 if path.is_dir() else 0))
        return code

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run([*CREATE_USER, name], check=True, capture_output=True)
        return pwd.getpwnam(name)


def make_service_dirs(root: Root, unit: Unit, user: pwd.struct_passwd) -> None:
    """RuntimeDirectory=, LogsDirectory=, StateDirectory=: created by systemd,
    owned by the unit's user, before the first Exec line."""
    group = grp.getgrnam(unit.one("Group")).gr_gid
    for key, base, default_mode in (("RuntimeDirectory", "/run", "0755"), ("LogsDirectory", "/var/log", "0755"),
                                    ("StateDirectory", "/var/lib", "0755")):
        mode = int((unit.all(f"{key}Mode") or [default_mode])[0], 8)
        for name in unit.words(key):
            path = root.host(f"{base}/{name}")
            root.makedirs(path)
            os.chown(path, user.pw_uid, group)
            path.chmod(mode)


def service_environment(root: Root, unit: Unit, user: pwd.struct_passwd) -> dict[str, str]:
    """The environment systemd gives the Exec lines: its own basics, then
    Environment=, then EnvironmentFile= (which overrides it)."""
    env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": user.pw_dir, "USER": user.pw_name,
           "LOGNAME": user.pw_name, "SHELL": user.pw_shell}
    env.update(unit.environment())
    for path in unit.all("EnvironmentFile"):
        env.update(parse_environment_file(Path(path.removeprefix("-")).read_text()))
    for key, base in (("RuntimeDirectory", "/run"), ("LogsDirectory", "/var/log"), ("StateDirectory", "/var/lib")):
        names = unit.words(key)
        if names:
            env[key.upper().replace("DIRECTORY", "_DIRECTORY")] = ":".join(
                str(root.host(f"{base}/{name}")) for name in names)
    return env


def as_user(unit: Unit, probe: str) -> list[str]:
    """The prefix that runs a command as the unit's User and Group, with
    NoNewPrivileges, and nothing else changed (systemd does not run a login
    shell or PAM session for a plain service).

    The checkout's venv may use an interpreter the user cannot fully reach
    (a pyenv build under root's mode-700 home, on a developer's machine: it
    fails, or starts with the system's libpython and stdlib instead, which
    is another Python than the one pip installed for). Then the command also
    gets CAP_DAC_READ_SEARCH, which lets it read and traverse but not
    write, so the read-only code tree stays read-only.
    """
    base = ["setpriv", f"--reuid={unit.one('User')}", f"--regid={unit.one('Group')}", "--init-groups"]
    if unit.all("NoNewPrivileges") == ["true"]:
        base.append("--no-new-privs")
    version = [probe, "-c", "import sys; print(sys.version)"]
    expected = subprocess.run(version, capture_output=True, text=True).stdout
    if subprocess.run([*base, *version], capture_output=True, text=True).stdout == expected:
        return base
    return [*base, "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
