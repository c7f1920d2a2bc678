"""Real mail servers on loopback for the e-mail adapter tests.

- Dovecot (Debian package ``dovecot-imapd``) started from a temporary directory with its
  own configuration: plaintext login on 127.0.0.1, users in a passwd-file, Maildir
  storage in the temporary directory. Root runs it with the package's ``dovecot`` /
  ``dovenull`` users; anyone else runs it rootless as themselves.
- aiosmtpd capturing what is sent, with AUTH PLAIN/LOGIN allowed without TLS.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((p for p in DOVECOT_CANDIDATES if os.access(p, os.X_OK)), None)


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    host: str = "127.0.0.1"
    users: dict[str, str] = field(default_factory=dict)

    @contextlib.contextmanager
    def imap(self, address: str) -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4(self.host, self.port, timeout=5)
        try:
            client.login(address, self.users[address])
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(self, address: str, message: bytes, folder: str = "INBOX") -> None:
        with self.imap(address) as client:
            status, data = client.append(folder, "", None, message)
            assert status == "OK", data

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
last_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def start_dovecot(binary: str, users: dict[str, str]) -> Dovecot:
    """Dovecot with these users (address → password), each with an empty INBOX."""
    root = Path(tempfile.mkdtemp(prefix="townsquare-dovecot-"))
    root.chmod(0o755)  # the internal users must reach the files below
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
        os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    else:
        mail_user = pwd.getpwuid(os.getuid())
        internal_user = login_user = mail_user.pw_name
        internal_group = grp.getgrgid(mail_user.pw_gid).gr_name
    lines = "".join(f"{user}:{{PLAIN}}{pw}::::::\n" for user, pw in users.items())
    (root / "passwd").write_text(lines, encoding="utf-8")
    (root / "passwd").chmod(0o644)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            port=port,
            uid=mail_user.pw_uid,
            gid=mail_user.pw_gid,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(root=root, port=port, process=process, users=dict(users))
    for _attempt in range(100):  # up to ~5 s
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            stop_dovecot(server)
            raise RuntimeError(f"dovecot did not start: {error}{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    stop_dovecot(server)
    raise RuntimeError(f"dovecot did not answer on port {port}: {server.log()}")


def stop_dovecot(server: Dovecot) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    if server.process.stderr:
        server.process.stderr.close()
    shutil.rmtree(server.root, ignore_errors=True)


# --- SMTP ---------------------------------------------------------------------------------


class CapturingHandler:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse_rcpt: str | None = None  # e.g. "550 5.1.1 no such user"
        self.refuse_data: str | None = None  # e.g. "451 4.3.0 try again later"
        self.password = ""
        self.token = ""

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            password = auth_data.password.decode()
            self.logins.append((mechanism, login))
            # handled=False: aiosmtpd then answers 535 itself on failure.
            return AuthResult(success=password == self.password, handled=False)
        return AuthResult(success=False, handled=False)

    async def auth_XOAUTH2(self, server: SMTPServer, args: list[str]) -> AuthResult:
        """RFC-less but documented by Google/Microsoft: base64("user=…^Aauth=Bearer …^A^A")."""
        import base64

        if len(args) > 1:
            initial = args[1]
        else:
            initial = (await server.challenge_auth("", encode_to_b64=False)).decode()
        decoded = base64.b64decode(initial).decode()
        fields = dict(f.split("=", 1) for f in decoded.split("\x01") if "=" in f)
        self.logins.append(("XOAUTH2", fields.get("user", "")))
        ok = fields.get("auth") == f"Bearer {self.token}"
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))


def start_smtp(handler: CapturingHandler) -> Controller:
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=handler.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    return controller
