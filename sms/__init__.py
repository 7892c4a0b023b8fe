"""SMS join links (docs/ARCHITECTURE.md, "SMS").

A host sends a meeting's join link to a guest's phone: ``phones`` normalises
and checks the number before anything is paid for, ``links`` signs the link
and lets one guest's browser use it, ``body`` writes the message, ``senders``
hands it to Twilio or to the development outbox, and ``qr`` draws a link as
a QR code. Sending a meeting's link (the limits, the stored message, its
delivery status) is an invitation of the meeting:
``server/meetings/invitations.py``.
"""
