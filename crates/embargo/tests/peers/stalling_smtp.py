"""An SMTP relay that keeps the first mail it receives and then never
answers its end of data, as a relay does when the sender dies at that very
moment: the mail has reached the relay, but the sender cannot know it. Every
later mail is kept and answered at once. Mails go into a maildir.

Usage: stalling_smtp.py PORT MAILDIR
Prints "ready" once listening; runs until killed.
"""
import asyncio
import mailbox
import sys
import time

from aiosmtpd.controller import Controller

port, maildir = int(sys.argv[1]), sys.argv[2]


class StallFirst:
    def __init__(self):
        self.box = mailbox.Maildir(maildir, create=True)
        self.stalled = False

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        if not self.stalled:
            self.stalled = True
            await asyncio.sleep(3600)
        return "250 OK"


controller = Controller(StallFirst(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
