"""A real SMTP server for the outbound tests: aiosmtpd with STARTTLS (required)
or implicit TLS, AUTH required for one user, every accepted mail saved into a
maildir.

Usage: smtp_server.py MODE PORT CERT KEY USER PASSWORD MAILDIR
MODE is "starttls" or "tls". Runs until killed.
"""
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, user, password, maildir = sys.argv[1:8]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)


def authenticator(server, session, envelope, mechanism, auth_data):
    good = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    )
    # handled=False: aiosmtpd answers a failure itself (535).
    return AuthResult(success=good, handled=False)


common = dict(hostname="127.0.0.1", port=int(port), authenticator=authenticator, auth_required=True)
if mode == "starttls":
    controller = Controller(Mailbox(maildir), tls_context=context, require_starttls=True, **common)
elif mode == "tls":
    # The whole session is TLS, so AUTH needs no STARTTLS first.
    controller = Controller(Mailbox(maildir), ssl_context=context, auth_require_tls=False, **common)
else:
    sys.exit(f"unknown mode {mode!r}")
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
