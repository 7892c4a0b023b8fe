"""SMS join links: the sender interface, Twilio and the development outbox,
phone-number normalisation, signed links and QR codes (see DESIGN.md, "sms/").
"""
