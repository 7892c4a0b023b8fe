"""The message catalog in English.

Keys are stable and are the same in ``ja.py``; ``error.<code>`` holds the
message for each API error code. An entry that shows a count is a plural:
``{"plural": "<param>", "one": ..., "other": ...}``, and ``translate`` picks
the form by that parameter (see ``server/i18n/locales.py``).
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, str | dict[str, Any]] = {
    # -- the product
    "app.name": "Tsunagu",
    "app.tagline": "Keep the phone call; share the screen and camera",
    "lang.ja": "日本語",
    "lang.en": "English",
    # -- navigation
    "nav.label": "Main menu",
    "nav.dashboard": "Dashboard",
    "nav.sites": "Sites",
    "nav.users": "Users",
    "nav.account": "Account",
    "nav.logout": "Log out",
    "role.admin": "Admin",
    "role.host": "Host",
    "action.copy": "Copy",
    "action.save": "Save",
    # -- form fields
    "field.username": "Username",
    "field.password": "Password",
    "field.display_name": "Display name",
    "field.role": "Role",
    "field.initial_password": "Initial password",
    "field.current_password": "Current password",
    "field.new_password": "New password",
    "field.confirm_password": "New password (again)",
    "field.token_name": "Token name",
    "field.site_name": "Site name",
    "field.origins": "Allowed origins",
    "field.unmask_selectors": "Fields whose typed values are shown",
    # -- login
    "login.title": "Log in",
    "login.lead": "Log in to the host console.",
    "login.submit": "Log in",
    "login.help": "Forgot your password? Ask an admin to reset it.",
    # -- dashboard
    "dashboard.hello": "Hello, {name}",
    "dashboard.next_title": "What to do next",
    "dashboard.done": "Done",
    "dashboard.step.site.title": "Register your website",
    "dashboard.step.site.text": (
        "Register the origin of the site that will offer screen support, "
        "then paste the <script> tag it shows into your pages."
    ),
    "dashboard.step.site.link": "Manage sites",
    "dashboard.step.hosts.title": "Add your hosts",
    "dashboard.step.hosts.text": "Create an account for each person who takes calls.",
    "dashboard.step.hosts.link": "Manage users",
    "dashboard.step.token.title": "(Optional) Create an API token",
    "dashboard.step.token.text": "For connecting other systems to Tsunagu.",
    "dashboard.step.token.link": "API tokens",
    "dashboard.how_title": "How it works",
    "dashboard.how.1": "The guest gets a 4-digit connection number from the button on your site or the join page.",
    "dashboard.how.2": "The guest reads the number to you over the phone and you type it into the console.",
    "dashboard.how.3": "Once connected, the guest's page captures and camera video reach you.",
    # -- account
    "account.title": "Your account",
    "account.password_title": "Change password",
    "account.password_hint": "At least 10 characters. Changing it logs out every other device.",
    "account.password_submit": "Change password",
    "account.tokens_title": "API tokens",
    "account.tokens_lead": (
        "Integrations send it in an Authorization: Bearer header. "
        "The value is shown once, when you create it."
    ),
    "account.token_created": "Token created. It will not be shown again: copy it now and keep it safe.",
    "account.token_prefix": "Starts with",
    "account.token_placeholder": "e.g. CRM integration",
    "account.token_create": "Create token",
    "account.no_tokens": "No API tokens yet.",
    "account.created": "Created",
    "account.last_used": "Last used",
    "account.revoke": "Revoke",
    "account.revoke_confirm": "Revoke this token? Integrations using it will stop working.",
    "account.sessions_title": "Where you are logged in",
    "account.device": "Device",
    "account.address": "IP address",
    "account.last_active": "Last active",
    "account.this_device": "This device",
    "account.end_all": "Log out everywhere",
    "account.end_all_confirm": "Log out of every device, including this one?",
    # -- users
    "users.title": "Users",
    "users.status": "Status",
    "users.active": "Active",
    "users.disabled": "Disabled",
    "users.disable": "Disable",
    "users.enable": "Enable",
    "users.make_admin": "Make admin",
    "users.make_host": "Make host",
    "users.you": "You",
    "users.add_title": "Add a user",
    "users.add": "Add user",
    "users.username_hint": "Lower-case letters, digits and . _ @ + - (2 to 64 characters)",
    "users.password_hint": "Leave empty to generate one; it is shown once.",
    "users.created": "User {username} added.",
    "users.reset_password": "Reset password",
    "users.reset_confirm": (
        "Reset the password of {username}? The current one stops working "
        "and every device they use is logged out."
    ),
    "users.reset_done": "The password of {username} has been reset.",
    "users.password_once": "This password is shown only now. Pass it on securely.",
    # -- sites
    "sites.title": "Sites",
    "sites.lead": (
        "Websites that show the screen-support button. "
        "Only calls from their registered origins are accepted."
    ),
    "sites.key": "Site key",
    "sites.none": "No sites yet. Register one with the form below.",
    "sites.add_title": "Register a site",
    "sites.add": "Register",
    "sites.origins_hint": (
        "One per line: scheme, host and (if needed) port only, like https://shop.example.com."
    ),
    "site.embed_title": "Tag to paste",
    "site.embed_lead": "Paste this tag just before </body> on every page of the site.",
    "site.edit_title": "Settings",
    "site.unmask_hint": (
        "By default every typed value is hidden on the guest's phone before the picture "
        "is taken. List CSS selectors such as input[type=email] or #order-id, one per line, "
        "to show what is typed in those fields. Passwords (also after a show-password "
        "toggle), card numbers, security codes, one-time codes and anything marked "
        "data-tsunagu-mask are never shown, whatever is listed here."
    ),
    "site.status_title": "Status",
    "site.disable": "Disable this site",
    "site.disable_lead": "While disabled, the button on this site cannot issue connection numbers.",
    "site.disable_confirm": "Disable this site?",
    "site.enable": "Enable this site",
    "site.enable_lead": "This site is disabled. Enable it to accept calls again.",
    # -- the snippet's origin check (read by the site owner in the browser console)
    "embed.origin.allowed": "Screen support works from this page.",
    "embed.origin.not_registered": (
        "{origin} is not registered for screen support. "
        "Add this origin to the site under “Sites” in the console."
    ),
    "embed.origin.opaque": (
        "This page's origin is null (a page opened from file://, or a sandboxed "
        "iframe). Serve the page over http:// or https:// and register that origin under "
        "“Sites” in the console."
    ),
    "embed.origin.site_disabled": "Screen support is disabled for this site. Enable it under “Sites” in the console.",
    "embed.origin.site_unknown": (
        "No site has the key {site_key}. "
        "Copy the tag again from the site's page under “Sites” in the console."
    ),
    "embed.origin.no_key": (
        "The tag has no data-site-key. "
        "Copy the tag again from the site's page under “Sites” in the console."
    ),
    # -- one-time messages after a form post
    "flash.logged_out": "You have logged out.",
    "flash.logged_out_everywhere": "You have been logged out everywhere.",
    "flash.password_changed": "Your password has been changed.",
    "flash.token_revoked": "Token revoked.",
    "flash.user_disable": "{username} is disabled and has been logged out.",
    "flash.user_enable": "{username} is enabled.",
    "flash.user_make_admin": "{username} is now an admin.",
    "flash.user_make_host": "{username} is now a host.",
    "flash.site_created": "Site “{name}” registered. Paste the tag below into its pages.",
    "flash.site_saved": "“{name}” saved.",
    "flash.site_disable": "“{name}” disabled.",
    "flash.site_enable": "“{name}” enabled.",
    # -- error pages
    "error.page_title": "This did not work",
    "error.back_home": "Back to the dashboard",
    # -- error codes (API and pages)
    "error.bad_request": "The request could not be processed.",
    "error.not_authenticated": "You need to log in, or send an API token.",
    "error.forbidden": "You are not allowed to do this.",
    "error.not_found": "Not found.",
    "error.method_not_allowed": "This address does not accept that HTTP method.",
    "error.payload_too_large": "The request body is too large (limit {limit_kb} KB).",
    "error.unsupported_media_type": "Wrong content type. Send JSON with Content-Type: application/json.",
    "error.too_many_requests": "Too many requests. Wait a moment and try again.",
    "error.invalid_json": "The body is not valid JSON ({reason}).",
    "error.number_out_of_range": {
        "plural": "digits",
        "one": "A number is out of range (integers up to {digits} digit; no NaN or Infinity).",
        "other": "A number is out of range (integers up to {digits} digits; no NaN or Infinity).",
    },
    "error.database_busy": "The server is busy. Wait a moment and try again.",
    "error.request_header_too_large": "The request headers are too large.",
    "error.request_timeout": "The request took too long to arrive; the connection was closed.",
    "error.invalid_request": "Some fields are missing or wrong; see details for each one.",
    "error.internal_error": "Something went wrong on the server. Please try again shortly.",
    "error.invalid_token": "The API token is not valid. Check that it is correct and not revoked.",
    "error.admin_required": "Only an admin can do this.",
    "error.cross_origin_request": "Requests from another site are refused. Reload this page and try again.",
    "error.csrf_failed": "This page has expired. Reload it and try again.",
    "error.login_failed": "Wrong username or password.",
    "error.too_many_logins": {
        "plural": "minutes",
        "one": "Too many failed logins. Try again in {minutes} minute.",
        "other": "Too many failed logins. Try again in {minutes} minutes.",
    },
    "error.account_disabled": "This account is disabled. Contact an admin.",
    "error.invalid_username": (
        "Usernames are 2 to 64 lower-case letters, digits or . _ @ + -, "
        "starting with a letter or digit."
    ),
    "error.invalid_role": "Role must be one of: {roles}.",
    "error.username_taken": "The username {username} is already taken.",
    "error.user_not_found": "No such user.",
    "error.cannot_demote_self": "You cannot disable yourself or remove your own admin role.",
    "error.wrong_current_password": "The current password is wrong.",
    "error.password_too_short": {
        "plural": "min",
        "one": "Passwords need at least {min} character.",
        "other": "Passwords need at least {min} characters.",
    },
    "error.password_too_long": {
        "plural": "max",
        "one": "Passwords can have at most {max} character.",
        "other": "Passwords can have at most {max} characters.",
    },
    "error.password_mismatch": "The two new passwords do not match.",
    "error.invalid_token_name": "Give the token a name of 1 to 100 characters.",
    "error.token_not_found": "No such token.",
    "error.invalid_origin": (
        "“{origin}” is not an origin. Write only scheme, host and port, "
        "like https://shop.example.com (no path, no wildcard)."
    ),
    "error.origins_required": "Enter at least one allowed origin.",
    "error.too_many_origins": {
        "plural": "max",
        "one": "A site can have at most {max} origin.",
        "other": "A site can have at most {max} origins.",
    },
    "error.invalid_site_name": "Give the site a name of 1 to 100 characters.",
    "error.site_not_found": "No such site.",
    "error.invalid_unmask_selector": {
        "plural": "max_length",
        "one": (
            "“{selector}” cannot be used as a field whose typed value is shown. Write only a CSS "
            "selector such as input[type=email] or #order-id, one per line, at most {max_length} "
            "character (not a whole CSS rule: no {{ }} ; < or control characters)."
        ),
        "other": (
            "“{selector}” cannot be used as a field whose typed value is shown. Write only a CSS "
            "selector such as input[type=email] or #order-id, one per line, at most {max_length} "
            "characters (not a whole CSS rule: no {{ }} ; < or control characters)."
        ),
    },
    "error.too_many_unmask_selectors": {
        "plural": "max",
        "one": "List at most {max} field whose typed value is shown.",
        "other": "List at most {max} fields whose typed values are shown.",
    },
    # -- connection numbers and meetings
    "error.invalid_number": {
        "plural": "digits",
        "one": "Connection numbers have {digits} digit.",
        "other": "Connection numbers have {digits} digits.",
    },
    "error.number_unknown": "Connection number {number} does not exist. Ask the guest to read it out again.",
    "error.number_expired": "Connection number {number} has expired. Ask the guest to get a new number.",
    "error.number_used": "Connection number {number} has already been used. Ask the guest to get a new number.",
    "error.too_many_attempts": {
        "plural": "seconds",
        "one": "Too many wrong numbers. Try again in {seconds} second.",
        "other": "Too many wrong numbers. Try again in {seconds} seconds.",
    },
    "error.too_many_numbers": {
        "plural": "seconds",
        "one": "Too many numbers requested. Wait {seconds} second and try again.",
        "other": "Too many numbers requested. Wait {seconds} seconds and try again.",
    },
    "error.numbers_exhausted": "All numbers are in use right now. Wait a moment and press “Get a number” again.",
    "error.guest_token_required": "No connection details were sent. Please start again.",
    "error.invalid_guest_token": "The connection details are not valid. Please start again.",
    "error.guest_token_expired": "The connection details have expired. Please start again.",
    "error.origin_not_allowed": "Numbers cannot be requested from this page. Open the page your host told you about.",
    "error.capture_too_large": "The image is too large (limit {limit_mb} MB).",
    "error.unsupported_image": "This kind of image is not accepted. Send a PNG, JPEG or WebP.",
    "error.image_too_large": {
        "plural": "megapixels",
        "one": "The image has too many pixels (limit {megapixels} megapixel).",
        "other": "The image has too many pixels (limit {megapixels} megapixels).",
    },
    "error.image_corrupt": "The image could not be read (it is cut short or damaged). Please send it again.",
    "error.site_unknown": "Unknown site key. Copy the tag from the console again.",
    "error.site_disabled": "Screen support is switched off for this site.",
    "error.not_connected": "You are not connected to a host yet. Read your number to them first.",
    "error.meeting_ended": "This meeting has ended.",
    "error.too_many_pages": {
        "plural": "seconds",
        "one": "Too many page reports. Pages are reported again in about {seconds} second.",
        "other": "Too many page reports. Pages are reported again in about {seconds} seconds.",
    },
    "error.url_too_long": {
        "plural": "limit",
        "one": "This page's address (URL) is too long to send (at most {limit} character).",
        "other": "This page's address (URL) is too long to send (at most {limit} characters).",
    },
    "error.title_too_long": {
        "plural": "limit",
        "one": "This page's title is too long to send (at most {limit} character).",
        "other": "This page's title is too long to send (at most {limit} characters).",
    },
    "error.too_many_origin_checks": {
        "plural": "seconds",
        "one": "Too many checks. Wait {seconds} second and try again.",
        "other": "Too many checks. Wait {seconds} seconds and try again.",
    },
    "error.too_many_captures": {
        "plural": "seconds",
        "one": "Too many captures. Wait {seconds} second before sending again.",
        "other": "Too many captures. Wait {seconds} seconds before sending again.",
    },
    "error.ingest_busy": {
        "plural": "seconds",
        "one": "The server is too busy to take the picture. Send it again in about {seconds} second.",
        "other": "The server is too busy to take the picture. Send it again in about {seconds} seconds.",
    },
    "error.invalid_idempotency_key": "The Idempotency-Key is not valid (8 to 64 letters, digits, - or _).",
    "error.capture_not_found": "No such capture.",
    "error.invalid_phone": "That is not a phone number. Type it like 090-1234-5678.",
    "error.phone_not_mobile": "SMS can only go to mobile numbers (not landlines or 050 numbers).",
    "error.phone_country_not_allowed": "SMS to numbers in this country ({country}) is not enabled.",
    "error.link_expired": "This link has expired. Call your host, or get a number on the join page.",
    "error.link_invalid": "This link cannot be used. Call your host, or get a number on the join page.",
    "error.meeting_not_found": "No such meeting.",
    "error.invalid_state": "state must be one of: {states}.",
    "error.invalid_after": "after must be an event id (a whole number, 0 or more).",
    # -- navigation and pages for meetings
    "nav.meetings": "History",
    "dashboard.number_title": "Enter the connection number",
    "dashboard.number_lead": "Type the {digits}-digit number the guest reads out over the phone.",
    "dashboard.number_digit": "Digit {n}",
    "dashboard.connect": "Connect",
    "dashboard.live_title": "Your live meetings",
    "dashboard.no_live": "No live meetings.",
    "dashboard.join_hint": "Guests get a number by opening {url}.",
    "dashboard.js.guest_here": "Guest connected",
    "dashboard.js.guest_away": "Guest not connected",
    "dashboard.js.network": "Cannot reach the server. Check the network.",
    "meetings.title": "Meeting history",
    "meetings.none": "No meetings yet.",
    "meetings.number": "Number",
    "meetings.host": "Host",
    "meetings.started": "Started",
    "meetings.ended": "Ended",
    "meetings.state": "State",
    "state.waiting": "Waiting for guest",
    "state.active": "Live",
    "state.ended": "Ended",
    "ended_by.host": "ended by the host",
    "ended_by.guest": "the guest left",
    "ended_by.system": "ended automatically",
    "ended_by.timeout": "ended after everyone left",
    "captures.title": "Page captures",
    "captures.ask": "Ask for a capture",
    "captures.none": "No captures yet. They appear here as soon as the guest taps send.",
    "captures.show_url": "Show all",
    "captures.zoom": "Zoom",
    "captures.full_size": "Full size",
    "captures.download": "Download",
    "captures.all": "All captures",
    "captures.visited": "Pages visited",
    "captures.no_visits": "None yet.",
    "meeting.js.zoom_out": "Fit",
    "meeting.js.zoom": "Zoom",
    "meeting.js.show_url": "Show all",
    "meeting.js.hide_url": "Show less",
    "meeting.js.asked": "The guest has been asked to send a capture.",
    "meeting.js.ask_failed": "Could not ask the guest. Please try again.",
    "meeting.js.no_title": "(no title)",
    "event.capture.created": "Capture received: {title}",
    "event.capture.created.removed": "Capture received (deleted)",
    "event.capture.requested": "Capture requested",
    "event.guest.attached": "Guest {n} joined with number {number}",
    "captures.attach_label": "Add a screen-support guest (connection number)",
    "captures.attach": "Add",
    "meeting.js.attached": "The guest joined with screen support.",
    "event.page.visited": "Page opened: {title}",
    "event.page.visited.removed": "Page opened (deleted)",
    "meeting.title": "Meeting #{id}",
    "meeting.guest": "Guest",
    "meeting.elapsed": "Elapsed",
    "meeting.timeline": "Timeline",
    "meeting.end": "End meeting",
    "meeting.end_confirm": "End the meeting? It ends on the guest's side too.",
    "meeting.js.ended": "The meeting has ended",
    "meeting.js.ended_by_guest": "The guest left; the meeting has ended.",
    "meeting.js.ended_by_host": "You ended the meeting.",
    "meeting.js.ended_by_timeout": "Neither you nor the guest was connected for a while, so the meeting ended by itself.",
    "meeting.js.reconnecting": "Reconnecting…",
    "meeting.js.end_failed": "Could not end the meeting. Please try again.",
    "event.meeting.started": "Meeting started (number {number})",
    "event.meeting.ended": "Meeting ended",
    "event.meeting.ended_timeout": "Meeting ended (by itself, after everyone left)",
    "event.guest.connected": "Guest {n} connected",
    "event.guest.disconnected": "Guest {n} disconnected",
    "event.data.deleted": {
        "plural": "captures",
        "one": "{by} deleted the meeting's data ({captures} capture)",
        "other": "{by} deleted the meeting's data ({captures} captures)",
    },
    "event.data.expired": {
        "plural": "days",
        "one": {
            "plural": "captures",
            "one": "Data past the retention period ({days} day) deleted ({captures} capture)",
            "other": "Data past the retention period ({days} day) deleted ({captures} captures)",
        },
        "other": {
            "plural": "captures",
            "one": "Data past the retention period ({days} days) deleted ({captures} capture)",
            "other": "Data past the retention period ({days} days) deleted ({captures} captures)",
        },
    },
    "meeting.delete_data": "Delete data",
    "meeting.delete_data_hint": (
        "Deletes this meeting's captures. The timeline stays, without the addresses "
        "and titles of the pages the customer showed."
    ),
    "meeting.delete_data_confirm": "Delete all of this meeting's captures? This cannot be undone.",
    "meeting.data_deleted": {
        "plural": "captures",
        "one": "The meeting's data was deleted ({captures} capture).",
        "other": "The meeting's data was deleted ({captures} captures).",
    },
    # -- the public join page
    "join.title": "Connect with your host",
    "join.lead": "Stay on the phone: this page connects you with the person you are talking to.",
    "join.step1": "Get a 4-digit connection number below.",
    "join.step2": "Read it to the person on the phone.",
    "join.step3": "When they type it in, you are connected.",
    "join.consent": "I agree to the terms and privacy policy (while connected, the host sees that this page is connected)",
    "join.read_terms": "Read the terms and privacy policy",
    "join.issue": "Get a connection number",
    "join.number_label": "Your connection number",
    "join.number_help": "Read this number to the person on the phone.",
    "join.leave_waiting": "Cancel",
    "join.connected_title": "You are connected",
    "join.end": "End",
    "join.end_confirm": "End the connection?",
    "join.ended_title": "Finished",
    "join.thanks": "Thank you.",
    "join.again": "Start again",
    "join.noscript": "Please turn on JavaScript to use this page.",
    "join.js.expires_in": "Valid for {time}",
    "join.js.expired": "This number has expired. Please get a new one.",
    "join.js.reissue": "Get a new number",
    "join.js.host": "Host: {name}",
    "join.js.ended_by_host": "The host has ended the meeting.",
    "join.js.ended_by_guest": "You ended the connection.",
    "join.js.ended_by_timeout": "The meeting ended because no one was connected for a while.",
    "join.js.reconnecting": "Connection unstable. Reconnecting…",
    "join.js.network": "Could not connect. Please try again where the signal is better.",
    # -- join links (SMS and QR)
    "join.link_title": "Join the video call",
    "join.link_lead": "This connects you with {name}, who you are talking to. Stay on the phone.",
    "join.link_join": "Join",
    "link_problem.title": "This link cannot be used",
    "link_problem.call": "If you are on the phone, ask your host to send a new link.",
    "link_problem.join": "Or get a connection number on the join page and read it to your host.",
    "link_problem.open_join": "Open the join page",
    "join_qr.title": "Connect with us on your phone",
    "join_qr.lead": "Scan this QR code with your phone's camera.",
    "join_qr.alt": "QR code for {url}",
    "join_qr.help": "On the page that opens, get a connection number and read it to us on the phone.",
    "error.link_meeting_ended": "This call has already ended.",
    "error.too_many_joins": {
        "plural": "seconds",
        "one": "Too many attempts to join. Wait {seconds} second and try again.",
        "other": "Too many attempts to join. Wait {seconds} seconds and try again.",
    },
    # -- SMS
    "error.sms_duplicate": "This link went to that number less than a minute ago. Give it a moment to arrive.",
    "error.too_many_sms_to_number": {
        "plural": "minutes",
        "one": "Too many SMS to this number. Wait {minutes} minute before sending again.",
        "other": "Too many SMS to this number. Wait {minutes} minutes before sending again.",
    },
    "error.too_many_sms_from_host": {
        "plural": "minutes",
        "one": "You have sent too many SMS. Wait {minutes} minute before sending again.",
        "other": "You have sent too many SMS. Wait {minutes} minutes before sending again.",
    },
    "error.too_many_sms": {
        "plural": "minutes",
        "one": "This server's hourly SMS limit is reached. Wait {minutes} minute or ask your admin.",
        "other": "This server's hourly SMS limit is reached. Wait {minutes} minutes or ask your admin.",
    },
    "error.sms_refused": "The SMS could not be sent. {reason}",
    "error.sms_unavailable": "Could not reach the SMS service. Wait a moment and send again.",
    "error.sms_uncertain": (
        "No answer from the SMS service, so it may or may not have been sent. "
        "If it has not arrived within a minute, send it again."
    ),
    "sms.error.uncertain": "No answer from the SMS service; it may or may not have been sent.",
    "sms.status.unknown": "Unknown",
    "error.not_in_call": "Only the meeting's own host takes part in its call.",
    "error.invalid_signature": "The request signature is missing or wrong.",
    "sms.error.21211": "The phone number is not valid. Check the number.",
    "sms.error.21614": "This is not a mobile number (landlines cannot receive SMS).",
    "sms.error.21408": "SMS to this country is not enabled in Twilio. Ask your admin.",
    "sms.error.21610": "The guest has opted out of SMS (STOP). Use another way to share the link.",
    "sms.error.21612": "This number cannot be reached from our sending number.",
    "sms.error.21606": "The sending number cannot send SMS. Ask your admin.",
    "sms.error.20003": "Twilio did not accept our credentials. Ask your admin to check the settings.",
    "sms.error.30003": "The guest's phone could not be reached (switched off or out of coverage).",
    "sms.error.30004": "The guest's phone blocked the message (e.g. a spam filter).",
    "sms.error.30005": "The number is unknown or no longer in use. Check the number.",
    "sms.error.30006": "This number cannot receive SMS (a landline, for example).",
    "sms.error.30007": "The carrier filtered the message as spam.",
    "sms.error.30008": "The carrier reported an unknown error. Wait a little and send again.",
    "sms.error.unavailable": "The SMS service could not be reached.",
    "sms.error.other": "Twilio error code {code}.",
    "sms.status.created": "Preparing",
    "sms.status.accepted": "Accepted",
    "sms.status.scheduled": "Scheduled",
    "sms.status.queued": "Queued",
    "sms.status.sending": "Sending",
    "sms.status.sent": "Sent",
    "sms.status.delivered": "Delivered",
    "sms.status.undelivered": "Not delivered",
    "sms.status.failed": "Failed",
    "sms.status.canceled": "Canceled",
    "sms.status.read": "Read",
    "sms.status.outbox": "Kept in the outbox (not sent)",
    "sms.segments": {
        "plural": "count",
        "one": "{count} SMS segment",
        "other": "{count} SMS segments",
    },
    "sms.outbox_notice": (
        "SMS is in outbox mode: with no Twilio configured, messages are kept in the outbox, "
        "not sent (set TWILIO_ACCOUNT_SID and friends to send them)."
    ),
    "nav.outbox": "SMS outbox",
    "outbox.title": "SMS outbox",
    "outbox.twilio_now": "SMS now go out through Twilio; these messages are from when the outbox was in use.",
    "outbox.time": "Time",
    "outbox.to": "To",
    "outbox.meeting": "Meeting",
    "outbox.body": "Message",
    "outbox.open_link": "Open the link (the guest's view)",
    "outbox.empty": "The outbox is empty.",
    "event.meeting.created": "Meeting created (waiting for the guest)",
    "event.meeting.started_link": "The guest joined by link; meeting started",
    "event.guest.joined": "Guest {n} joined by the link",
    "event.sms.status": "SMS ({to}): {status}",
    "invite.title": "Invite by link",
    "invite.phone": "Guest's mobile number",
    "invite.send": "Send by SMS",
    "invite.one_device": {
        "plural": "minutes",
        "one": (
            "A link works for {minutes} minute, on the first phone that opens it only; each copy or "
            "QR code is a new link."
        ),
        "other": (
            "A link works for {minutes} minutes, on the first phone that opens it only; each copy or "
            "QR code is a new link."
        ),
    },
    "error.link_used": "This link has already been used on another device. Ask your host for a new link.",
    "invite.copy": "Copy link",
    "invite.show_qr": "Show QR code",
    "invite.hide_qr": "Hide QR code",
    "invite.messages": "SMS sent",
    "invite.preview": "Message",
    "meeting.js.sms_sent": "SMS sent.",
    "meeting.js.sms_outbox": "Kept in the outbox (outbox mode).",
    "meeting.js.link_expires": "This link works until {time}.",
    "meeting.js.no_sms": "None sent yet.",
    "meeting.js.copied": "Link copied.",
    "meeting.js.copy_failed": "Could not copy. Select the link and copy it.",
    "meeting.js.network": "Could not reach the server. Please try again.",
    "dashboard.invite_title": "Start a call by SMS or link",
    "dashboard.invite_lead": "Send the guest a join link by SMS; one tap connects them, no number needed.",
    "dashboard.invite_send": "Send SMS and start",
    "dashboard.invite_link_only": "Share a link or QR code instead",
    "dashboard.join_qr": "QR code for the join page",
    # -- video
    "video.ask_camera": "Ask the guest for their camera",
    "video.asked": "The guest has been asked to turn on their camera.",
    "video.asked_guest": "Your host asks you to turn on your camera.",
    "video.remote_label": "The other side's camera",
    "video.local_label": "Your camera",
    "video.remote_camera_off": "Their camera is off",
    "video.camera_off_button": "Turn camera off",
    "video.camera_on_button": "Turn camera on",
    "video.switch_camera": "Switch camera",
    "video.retry": "Try the camera again",
    "video.camera_denied": (
        "Camera access is blocked. Allow the camera for this page in your browser's "
        "settings, then press \u201cTry the camera again\u201d."
    ),
    "video.camera_missing": "No camera found, or another app is using it. The call goes on without your picture.",
    "video.state.waiting": "Waiting for the other side…",
    "video.state.connecting": "Connecting video…",
    "video.state.connected": "Video connected",
    "video.state.reconnecting": "The connection is unstable. Reconnecting video…",
    "video.state.failed": (
        "Video cannot connect. Switch between Wi-Fi and mobile data, or reload the page. "
        "If it persists, ask your admin to check the TURN server settings."
    ),
    "video.state.ended": "Video ended",
    # -- records (meeting records, history, guest label; issue #13)
    "source.number": "Connection number",
    "source.snippet": "Screen support (site)",
    "source.link": "Link (SMS, QR)",
    "history.filters": "Filter the history",
    "history.search": "Search",
    "history.search_hint": "Memo, page titles, URLs, guest labels",
    "history.from": "Started from",
    "history.to": "Started until",
    "history.any": "Any",
    "history.site": "Site",
    "history.source": "Joined by",
    "history.apply": "Filter",
    "history.clear": "Clear filters",
    "history.count": {"plural": "count", "one": "{count} meeting", "other": "{count} meetings"},
    "history.guest": "Guest",
    "history.duration": "Duration",
    "history.captures": "Captures",
    "history.memo": "Memo",
    "history.pages": "Pages",
    "history.first": "Newest",
    "history.newer": "← Newer meetings",
    "history.older": "Older meetings →",
    "history.nothing_found": "No meeting matches. Try other words or filters.",
    "record.title": "Record of meeting #{id}",
    "record.zip": "Export the record (ZIP)",
    "record.print": "Print",
    "record.ended_note": "This meeting has ended. Everything that happened is recorded below, in order.",
    "record.facts": "Summary",
    "record.guests": "Guests who joined",
    "record.guest_joined": "A guest joined ({source})",
    "record.no_guests": "No guest joined.",
    "record.timeline": "Timeline",
    "record.captures": "Captures",
    "record.no_captures": "No captures.",
    "record.memo": "Memo",
    "record.memo_txt": "Save as text (.txt)",
    "record.memo_md": "Save as Markdown (.md)",
    "record.no_memo": "No memo.",
    "record.sms": "SMS and their delivery",
    "record.no_sms": "No SMS was sent.",
    "record.consents": "Consents",
    "record.no_consents": "No consent on record.",
    "record.consent.capture": "Agreed to send pictures of the screen ({place})",
    "record.consent.terms": "Agreed to the terms of use and privacy policy ({place})",
    "record.place.snippet": "the site's screen support",
    "record.place.join": "the join page",
    "record.place.link": "a join link",
    "record.terms_version": "wording {terms}",
    "guest_label.none": "No label",
    "guest_label.edit": "Edit label",
    "guest_label.label": "Guest label",
    "guest_label.placeholder": "e.g. Ms Yamada",
    "guest_label.save": "Save",
    "guest_label.cancel": "Cancel",
    "guest_label.network": "Could not save. Please try again.",
    "event.guest.labelled": "Guest label set to “{label}”",
    # -- axe (issue #13): accessibility and small console fixes
    "invite.link_placeholder": "[join link: made when the SMS is sent]",
    "table.actions": "Actions",
    # -- room (issue 13): the live meeting room's rail, stage and announcements
    "room.tools": "Tools",
    "room.tool.memo": "Shared memo",
    "room.close_panel": "Close the panel",
    "room.stage": "Stage",
    "room.side": "Guests and timeline",
    "room.waiting": "The guest's camera and page captures appear here, large, as they arrive.",
    "room.nothing_shown": "No page captures arrived in this meeting.",
    "room.chime": "Chime",
    "room.js.new_capture": "New capture: {title}",
    "room.js.camera_trouble": "The guest's camera could not be turned on (not allowed, or not available).",
    "room.js.ending": "The meeting has ended. Showing its record…",
    # -- guests (issue #13: several guests per meeting)
    "error.guest_removed": (
        "The host has ended your part in this call. If anything is unclear, please ask them "
        "on the phone."
    ),
    "error.guest_not_found": "That guest is not in this meeting. Reload the page.",
    "error.guest_already_removed": "That guest has already been removed.",
    "error.guest_cannot_video": (
        "This guest joined through the website's snippet, which has no video. Pick a guest "
        "who joined by the join page or a link."
    ),
    "event.guest.removed": "{by} removed guest {n}",
    "event.video.guest": "Guest {n} is now on video",
    "guests.none": "No guest has joined yet.",
    "meeting.js.guests.label": "Guest {n}",
    "meeting.js.guests.source.number": "Number",
    "meeting.js.guests.source.snippet": "Snippet",
    "meeting.js.guests.source.link": "Link",
    "meeting.js.guests.state.connected": "Connected",
    "meeting.js.guests.state.disconnected": "Disconnected",
    "meeting.js.guests.state.removed": "Removed",
    "error.guest_left": (
        "You have left this call. To join again, ask the host for a new link or number."
    ),
    "event.guest.left": "Guest {n} left (other guests are still on)",
    "meeting.js.guests.state.left": "Left",
    "meeting.js.guests.state.ended": "Ended",
    "meeting.js.guests.ago_now": "just now",
    "meeting.js.guests.ago": {
        "plural": "minutes",
        "one": "{minutes} minute ago",
        "other": "{minutes} minutes ago",
    },
    "meeting.js.guests.on_video": "On video",
    "meeting.js.guests.make_video": "Switch video here",
    "meeting.js.guests.remove": "Remove",
    "meeting.js.guests.remove_confirm": (
        "Remove guest {n} from this call? Their number or link stops working."
    ),
    "meeting.js.guests.arrived": (
        "Guest {n} ({source}) joined too. Video stays with guest {video}; switch it in the list."
    ),
    "meeting.js.guests.arrived_no_video": "Guest {n} ({source}) joined too.",
    "meeting.js.guests.dismiss": "Dismiss",
    "join.removed_title": "You have left the call",
    "join.video_elsewhere": (
        "The host is on video with another guest. You can carry on talking on the phone."
    ),
    "dashboard.js.guests_gone": {
        "plural": "minutes",
        "one": "Guests gone for {minutes} minute",
        "other": "Guests gone for {minutes} minutes",
    },
}
