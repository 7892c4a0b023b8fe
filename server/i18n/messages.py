"""The message catalog: every string a person reads, in Japanese and English.

Keys are stable; ``error.<code>`` holds the message for each API error code.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- the product
    "app.name": {"ja": "つなぐ Tsunagu", "en": "Tsunagu"},
    "app.tagline": {
        "ja": "電話はそのまま、画面と映像をつなぐ",
        "en": "Keep the phone call; share the screen and camera",
    },
    "lang.ja": {"ja": "日本語", "en": "日本語"},
    "lang.en": {"ja": "English", "en": "English"},
    # -- navigation
    "nav.label": {"ja": "メインメニュー", "en": "Main menu"},
    "nav.dashboard": {"ja": "ダッシュボード", "en": "Dashboard"},
    "nav.sites": {"ja": "サイト", "en": "Sites"},
    "nav.users": {"ja": "ユーザー", "en": "Users"},
    "nav.account": {"ja": "アカウント", "en": "Account"},
    "nav.logout": {"ja": "ログアウト", "en": "Log out"},
    "role.admin": {"ja": "管理者", "en": "Admin"},
    "role.host": {"ja": "担当者", "en": "Host"},
    "action.copy": {"ja": "コピー", "en": "Copy"},
    "action.copied": {"ja": "コピーしました", "en": "Copied"},
    "action.save": {"ja": "保存", "en": "Save"},
    # -- form fields
    "field.username": {"ja": "ユーザー名", "en": "Username"},
    "field.password": {"ja": "パスワード", "en": "Password"},
    "field.display_name": {"ja": "表示名", "en": "Display name"},
    "field.role": {"ja": "権限", "en": "Role"},
    "field.initial_password": {"ja": "初期パスワード", "en": "Initial password"},
    "field.current_password": {"ja": "現在のパスワード", "en": "Current password"},
    "field.new_password": {"ja": "新しいパスワード", "en": "New password"},
    "field.confirm_password": {
        "ja": "新しいパスワード（確認）",
        "en": "New password (again)",
    },
    "field.token_name": {"ja": "トークン名", "en": "Token name"},
    "field.site_name": {"ja": "サイト名", "en": "Site name"},
    "field.origins": {"ja": "許可するオリジン", "en": "Allowed origins"},
    "field.unmask_selectors": {
        "ja": "入力値を表示するフィールド",
        "en": "Fields whose typed values are shown",
    },
    # -- login
    "login.title": {"ja": "ログイン", "en": "Log in"},
    "login.lead": {
        "ja": "担当者用コンソールにログインします。",
        "en": "Log in to the host console.",
    },
    "login.submit": {"ja": "ログイン", "en": "Log in"},
    "login.help": {
        "ja": "パスワードを忘れた場合は、管理者に再設定を依頼してください。",
        "en": "Forgot your password? Ask an admin to reset it.",
    },
    # -- dashboard
    "dashboard.hello": {"ja": "{name} さん、こんにちは", "en": "Hello, {name}"},
    "dashboard.next_title": {"ja": "次にすること", "en": "What to do next"},
    "dashboard.done": {"ja": "完了", "en": "Done"},
    "dashboard.step.site.title": {
        "ja": "ウェブサイトを登録する",
        "en": "Register your website",
    },
    "dashboard.step.site.text": {
        "ja": "画面サポートを使うサイトのオリジンを登録し、表示される <script> タグをサイトに貼り付けます。",
        "en": "Register the origin of the site that will offer screen support, "
        "then paste the <script> tag it shows into your pages.",
    },
    "dashboard.step.site.link": {"ja": "サイトを管理", "en": "Manage sites"},
    "dashboard.step.hosts.title": {"ja": "担当者を追加する", "en": "Add your hosts"},
    "dashboard.step.hosts.text": {
        "ja": "電話を受けるスタッフごとにアカウントを作ります。",
        "en": "Create an account for each person who takes calls.",
    },
    "dashboard.step.hosts.link": {"ja": "ユーザーを管理", "en": "Manage users"},
    "dashboard.step.token.title": {
        "ja": "（任意）API トークンを作る",
        "en": "(Optional) Create an API token",
    },
    "dashboard.step.token.text": {
        "ja": "他のシステムから Tsunagu を操作する場合に使います。",
        "en": "For connecting other systems to Tsunagu.",
    },
    "dashboard.step.token.link": {"ja": "API トークン", "en": "API tokens"},
    "dashboard.how_title": {"ja": "使い方", "en": "How it works"},
    "dashboard.how.1": {
        "ja": "お客様はサイトのボタンか参加ページで 4 桁の接続番号を受け取ります。",
        "en": "The guest gets a 4-digit connection number from the button on your site or the join page.",
    },
    "dashboard.how.2": {
        "ja": "お客様が電話で番号を読み上げ、担当者がコンソールに入力します。",
        "en": "The guest reads the number to you over the phone and you type it into the console.",
    },
    "dashboard.how.3": {
        "ja": "つながると、お客様の画面キャプチャとカメラ映像が届きます。",
        "en": "Once connected, the guest's page captures and camera video reach you.",
    },
    # -- account
    "account.title": {"ja": "アカウント", "en": "Your account"},
    "account.password_title": {"ja": "パスワードの変更", "en": "Change password"},
    "account.password_hint": {
        "ja": "10 文字以上。変更すると、この端末以外のログインはすべて終了します。",
        "en": "At least 10 characters. Changing it logs out every other device.",
    },
    "account.password_submit": {"ja": "パスワードを変更", "en": "Change password"},
    "account.tokens_title": {"ja": "API トークン", "en": "API tokens"},
    "account.tokens_lead": {
        "ja": "連携システムが Authorization: Bearer ヘッダーで使います。値は作成時に一度だけ表示されます。",
        "en": "Integrations send it in an Authorization: Bearer header. "
        "The value is shown once, when you create it.",
    },
    "account.token_created": {
        "ja": "トークンを作成しました。この値は二度と表示されません。今すぐコピーして安全な場所に保管してください。",
        "en": "Token created. It will not be shown again: copy it now and keep it safe.",
    },
    "account.token_prefix": {"ja": "先頭", "en": "Starts with"},
    "account.token_placeholder": {"ja": "例: 顧客管理システム", "en": "e.g. CRM integration"},
    "account.token_create": {"ja": "トークンを作成", "en": "Create token"},
    "account.no_tokens": {"ja": "API トークンはまだありません。", "en": "No API tokens yet."},
    "account.created": {"ja": "作成日時", "en": "Created"},
    "account.last_used": {"ja": "最終使用", "en": "Last used"},
    "account.revoke": {"ja": "無効にする", "en": "Revoke"},
    "account.revoke_confirm": {
        "ja": "このトークンを無効にしますか？使っている連携は動かなくなります。",
        "en": "Revoke this token? Integrations using it will stop working.",
    },
    "account.sessions_title": {"ja": "ログイン中の端末", "en": "Where you are logged in"},
    "account.device": {"ja": "端末", "en": "Device"},
    "account.address": {"ja": "IP アドレス", "en": "IP address"},
    "account.last_active": {"ja": "最終操作", "en": "Last active"},
    "account.this_device": {"ja": "この端末", "en": "This device"},
    "account.end_all": {
        "ja": "すべての端末からログアウト",
        "en": "Log out everywhere",
    },
    "account.end_all_confirm": {
        "ja": "この端末を含むすべての端末からログアウトしますか？",
        "en": "Log out of every device, including this one?",
    },
    # -- users
    "users.title": {"ja": "ユーザー", "en": "Users"},
    "users.status": {"ja": "状態", "en": "Status"},
    "users.active": {"ja": "有効", "en": "Active"},
    "users.disabled": {"ja": "無効", "en": "Disabled"},
    "users.disable": {"ja": "無効にする", "en": "Disable"},
    "users.enable": {"ja": "有効にする", "en": "Enable"},
    "users.make_admin": {"ja": "管理者にする", "en": "Make admin"},
    "users.make_host": {"ja": "担当者にする", "en": "Make host"},
    "users.you": {"ja": "あなた", "en": "You"},
    "users.add_title": {"ja": "ユーザーを追加", "en": "Add a user"},
    "users.add": {"ja": "追加", "en": "Add user"},
    "users.username_hint": {
        "ja": "半角英小文字・数字と . _ @ + - （2〜64 文字）",
        "en": "Lower-case letters, digits and . _ @ + - (2 to 64 characters)",
    },
    "users.password_hint": {
        "ja": "空欄にすると自動で生成し、一度だけ表示します。",
        "en": "Leave empty to generate one; it is shown once.",
    },
    "users.created": {"ja": "ユーザー {username} を追加しました。", "en": "User {username} added."},
    "users.reset_password": {"ja": "パスワード再設定", "en": "Reset password"},
    "users.reset_confirm": {
        "ja": "{username} のパスワードを再設定しますか？今のパスワードは使えなくなり、ログイン中の端末はすべてログアウトします。",
        "en": "Reset the password of {username}? The current one stops working "
        "and every device they use is logged out.",
    },
    "users.reset_done": {
        "ja": "{username} のパスワードを再設定しました。",
        "en": "The password of {username} has been reset.",
    },
    "users.password_once": {
        "ja": "このパスワードは今だけ表示されます。本人に安全な方法で伝えてください。",
        "en": "This password is shown only now. Pass it on securely.",
    },
    # -- sites
    "sites.title": {"ja": "サイト", "en": "Sites"},
    "sites.lead": {
        "ja": "画面サポートのボタンを設置するウェブサイトです。登録したオリジンからの呼び出しだけを受け付けます。",
        "en": "Websites that show the screen-support button. "
        "Only calls from their registered origins are accepted.",
    },
    "sites.key": {"ja": "サイトキー", "en": "Site key"},
    "sites.none": {
        "ja": "まだサイトがありません。下のフォームから登録してください。",
        "en": "No sites yet. Register one with the form below.",
    },
    "sites.add_title": {"ja": "サイトを登録", "en": "Register a site"},
    "sites.add": {"ja": "登録", "en": "Register"},
    "sites.origins_hint": {
        "ja": "1 行に 1 つ。https://shop.example.com のように、スキーム・ホスト・（必要なら）ポートだけを書きます。",
        "en": "One per line: scheme, host and (if needed) port only, "
        "like https://shop.example.com.",
    },
    "site.embed_title": {"ja": "設置用タグ", "en": "Tag to paste"},
    "site.embed_lead": {
        "ja": "このタグをサイトの全ページの </body> の直前に貼り付けてください。",
        "en": "Paste this tag just before </body> on every page of the site.",
    },
    "site.edit_title": {"ja": "設定を変更", "en": "Settings"},
    "site.unmask_hint": {
        "ja": "お客様のスマートフォンでは、画面を撮る前に、入力された値をすべて隠します。"
        "input[type=email] や #order-id のような CSS セレクタを 1 行に 1 つ書くと、そのフィールドの入力値は担当者に見えます。"
        "パスワード（「パスワードを表示」で切り替えた後も）、カード番号、セキュリティコード、ワンタイムコード、"
        "data-tsunagu-mask を付けた要素は、ここに何を書いても表示されません。",
        "en": "By default every typed value is hidden on the guest's phone before the picture "
        "is taken. List CSS selectors such as input[type=email] or #order-id, one per line, "
        "to show what is typed in those fields. Passwords (also after a show-password "
        "toggle), card numbers, security codes, one-time codes and anything marked "
        "data-tsunagu-mask are never shown, whatever is listed here.",
    },
    "site.status_title": {"ja": "公開状態", "en": "Status"},
    "site.disable": {"ja": "このサイトを無効にする", "en": "Disable this site"},
    "site.disable_lead": {
        "ja": "無効にすると、このサイトのボタンから接続番号を発行できなくなります。",
        "en": "While disabled, the button on this site cannot issue connection numbers.",
    },
    "site.disable_confirm": {"ja": "このサイトを無効にしますか？", "en": "Disable this site?"},
    "site.enable": {"ja": "このサイトを有効にする", "en": "Enable this site"},
    "site.enable_lead": {
        "ja": "このサイトは無効です。有効にすると再び利用できます。",
        "en": "This site is disabled. Enable it to accept calls again.",
    },
    # -- the snippet's origin check (read by the site owner in the browser console)
    "embed.origin.allowed": {
        "ja": "このページから画面サポートを利用できます。",
        "en": "Screen support works from this page.",
    },
    "embed.origin.not_registered": {
        "ja": "{origin} は画面サポートのサイトに登録されていません。コンソールの「サイト」でこのオリジンを追加してください。",
        "en": "{origin} is not registered for screen support. "
        "Add this origin to the site under “Sites” in the console.",
    },
    "embed.origin.opaque": {
        "ja": "このページのオリジンは null です（file:// で開いたページや sandbox 属性付きの iframe など）。画面サポートは http:// か https:// で配信するページで、そのオリジンをコンソールの「サイト」に登録して使ってください。",
        "en": "This page's origin is null (a page opened from file://, or a sandboxed "
        "iframe). Serve the page over http:// or https:// and register that origin under "
        "“Sites” in the console.",
    },
    "embed.origin.site_disabled": {
        "ja": "このサイトの画面サポートはコンソールで無効にされています。コンソールの「サイト」で有効にしてください。",
        "en": "Screen support is disabled for this site. Enable it under “Sites” in the console.",
    },
    "embed.origin.site_unknown": {
        "ja": "サイトキー {site_key} のサイトは登録されていません。コンソールの「サイト」から設置用タグをコピーし直してください。",
        "en": "No site has the key {site_key}. "
        "Copy the tag again from the site's page under “Sites” in the console.",
    },
    "embed.origin.no_key": {
        "ja": "設置用タグに data-site-key がありません。コンソールの「サイト」から設置用タグをコピーし直してください。",
        "en": "The tag has no data-site-key. "
        "Copy the tag again from the site's page under “Sites” in the console.",
    },
    # -- one-time messages after a form post
    "flash.logged_out": {"ja": "ログアウトしました。", "en": "You have logged out."},
    "flash.logged_out_everywhere": {
        "ja": "すべての端末からログアウトしました。",
        "en": "You have been logged out everywhere.",
    },
    "flash.password_changed": {
        "ja": "パスワードを変更しました。",
        "en": "Your password has been changed.",
    },
    "flash.token_revoked": {"ja": "トークンを無効にしました。", "en": "Token revoked."},
    "flash.user_disable": {
        "ja": "{username} を無効にし、ログインを終了させました。",
        "en": "{username} is disabled and has been logged out.",
    },
    "flash.user_enable": {"ja": "{username} を有効にしました。", "en": "{username} is enabled."},
    "flash.user_make_admin": {
        "ja": "{username} を管理者にしました。",
        "en": "{username} is now an admin.",
    },
    "flash.user_make_host": {
        "ja": "{username} を担当者にしました。",
        "en": "{username} is now a host.",
    },
    "flash.site_created": {
        "ja": "サイト「{name}」を登録しました。下のタグをサイトに貼り付けてください。",
        "en": "Site “{name}” registered. Paste the tag below into its pages.",
    },
    "flash.site_saved": {"ja": "「{name}」を保存しました。", "en": "“{name}” saved."},
    "flash.site_disable": {"ja": "「{name}」を無効にしました。", "en": "“{name}” disabled."},
    "flash.site_enable": {"ja": "「{name}」を有効にしました。", "en": "“{name}” enabled."},
    # -- error pages
    "error.page_title": {"ja": "ご利用いただけません", "en": "This did not work"},
    "error.back_home": {"ja": "ダッシュボードに戻る", "en": "Back to the dashboard"},
    # -- error codes (API and pages)
    "error.bad_request": {
        "ja": "リクエストを処理できませんでした。",
        "en": "The request could not be processed.",
    },
    "error.not_authenticated": {
        "ja": "ログインが必要です。ログインするか、API トークンを指定してください。",
        "en": "You need to log in, or send an API token.",
    },
    "error.forbidden": {
        "ja": "この操作を行う権限がありません。",
        "en": "You are not allowed to do this.",
    },
    "error.not_found": {"ja": "見つかりません。", "en": "Not found."},
    "error.method_not_allowed": {
        "ja": "このアドレスはその HTTP メソッドに対応していません。",
        "en": "This address does not accept that HTTP method.",
    },
    "error.payload_too_large": {
        "ja": "送信データが大きすぎます（上限 {limit_kb} KB）。",
        "en": "The request body is too large (limit {limit_kb} KB).",
    },
    "error.unsupported_media_type": {
        "ja": "送信形式が違います。JSON は Content-Type: application/json で送ってください。",
        "en": "Wrong content type. Send JSON with Content-Type: application/json.",
    },
    "error.too_many_requests": {
        "ja": "リクエストが多すぎます。しばらくしてからもう一度お試しください。",
        "en": "Too many requests. Wait a moment and try again.",
    },
    "error.invalid_json": {
        "ja": "JSON として読み取れません（{reason}）。",
        "en": "The body is not valid JSON ({reason}).",
    },
    "error.number_out_of_range": {
        "ja": "数値が大きすぎます（整数は {digits} 桁まで、NaN と Infinity は使えません）。",
        "en": "A number is out of range (integers up to {digits} digits; no NaN or Infinity).",
    },
    "error.database_busy": {
        "ja": "サーバーが混み合っています。少し待ってからもう一度お試しください。",
        "en": "The server is busy. Wait a moment and try again.",
    },
    "error.request_header_too_large": {
        "ja": "リクエストのヘッダーが大きすぎます。",
        "en": "The request headers are too large.",
    },
    "error.request_timeout": {
        "ja": "リクエストの受信に時間がかかりすぎたため、接続を閉じました。",
        "en": "The request took too long to arrive; the connection was closed.",
    },
    "error.invalid_request": {
        "ja": "入力内容に誤りがあります。details の各項目を確認してください。",
        "en": "Some fields are missing or wrong; see details for each one.",
    },
    "error.internal_error": {
        "ja": "サーバーで問題が発生しました。時間をおいてもう一度お試しください。",
        "en": "Something went wrong on the server. Please try again shortly.",
    },
    "error.invalid_token": {
        "ja": "API トークンが無効です。失効していないか、値が正しいか確認してください。",
        "en": "The API token is not valid. Check that it is correct and not revoked.",
    },
    "error.admin_required": {
        "ja": "管理者だけが行える操作です。",
        "en": "Only an admin can do this.",
    },
    "error.cross_origin_request": {
        "ja": "別のサイトからの送信は受け付けられません。このページを開き直してから操作してください。",
        "en": "Requests from another site are refused. Reload this page and try again.",
    },
    "error.csrf_failed": {
        "ja": "ページの有効期限が切れました。ページを再読み込みしてからもう一度操作してください。",
        "en": "This page has expired. Reload it and try again.",
    },
    "error.login_failed": {
        "ja": "ユーザー名またはパスワードが違います。",
        "en": "Wrong username or password.",
    },
    "error.too_many_logins": {
        "ja": "ログインの失敗が続いたため、一時的にロックしています。{minutes} 分後にもう一度お試しください。",
        "en": "Too many failed logins. Try again in {minutes} minutes.",
    },
    "error.account_disabled": {
        "ja": "このアカウントは無効になっています。管理者に連絡してください。",
        "en": "This account is disabled. Contact an admin.",
    },
    "error.invalid_username": {
        "ja": "ユーザー名は半角英小文字・数字と . _ @ + - の 2〜64 文字で、先頭は英数字にしてください。",
        "en": "Usernames are 2 to 64 lower-case letters, digits or . _ @ + -, "
        "starting with a letter or digit.",
    },
    "error.invalid_role": {
        "ja": "権限は {roles} のいずれかです。",
        "en": "Role must be one of: {roles}.",
    },
    "error.username_taken": {
        "ja": "ユーザー名 {username} はすでに使われています。",
        "en": "The username {username} is already taken.",
    },
    "error.user_not_found": {"ja": "ユーザーが見つかりません。", "en": "No such user."},
    "error.cannot_demote_self": {
        "ja": "自分自身を無効にしたり、管理者から外したりはできません。",
        "en": "You cannot disable yourself or remove your own admin role.",
    },
    "error.wrong_current_password": {
        "ja": "現在のパスワードが違います。",
        "en": "The current password is wrong.",
    },
    "error.password_too_short": {
        "ja": "パスワードは {min} 文字以上にしてください。",
        "en": "Passwords need at least {min} characters.",
    },
    "error.password_too_long": {
        "ja": "パスワードは {max} 文字以下にしてください。",
        "en": "Passwords can have at most {max} characters.",
    },
    "error.password_mismatch": {
        "ja": "確認用のパスワードが一致しません。",
        "en": "The two new passwords do not match.",
    },
    "error.invalid_token_name": {
        "ja": "トークン名を 1〜100 文字で入力してください。",
        "en": "Give the token a name of 1 to 100 characters.",
    },
    "error.token_not_found": {
        "ja": "トークンが見つかりません。",
        "en": "No such token.",
    },
    "error.invalid_origin": {
        "ja": "「{origin}」はオリジンとして使えません。https://shop.example.com のように、スキーム・ホスト・ポートだけを書いてください（パスやワイルドカードは不可）。",
        "en": "“{origin}” is not an origin. Write only scheme, host and port, "
        "like https://shop.example.com (no path, no wildcard).",
    },
    "error.origins_required": {
        "ja": "許可するオリジンを 1 つ以上入力してください。",
        "en": "Enter at least one allowed origin.",
    },
    "error.too_many_origins": {
        "ja": "オリジンは {max} 個までです。",
        "en": "A site can have at most {max} origins.",
    },
    "error.invalid_site_name": {
        "ja": "サイト名を 1〜100 文字で入力してください。",
        "en": "Give the site a name of 1 to 100 characters.",
    },
    "error.site_not_found": {"ja": "サイトが見つかりません。", "en": "No such site."},
    "error.invalid_unmask_selector": {
        "ja": "「{selector}」は入力値を表示するフィールドの指定として使えません。input[type=email] や #order-id のような CSS セレクタだけを、1 行に 1 つ、{max_length} 文字以内で書いてください（CSS のルール全体は不要です。{{ }} ; < と制御文字は使えません）。",
        "en": "“{selector}” cannot be used as a field whose typed value is shown. Write only "
        "a CSS selector such as input[type=email] or #order-id, one per line, at most "
        "{max_length} characters (not a whole CSS rule: no {{ }} ; < or control characters).",
    },
    "error.too_many_unmask_selectors": {
        "ja": "入力値を表示するフィールドは {max} 個までです。",
        "en": "List at most {max} fields whose typed values are shown.",
    },
    # -- connection numbers and meetings
    "error.invalid_number": {
        "ja": "接続番号は {digits} 桁の数字で入力してください。",
        "en": "Connection numbers have {digits} digits.",
    },
    "error.number_unknown": {
        "ja": "接続番号 {number} は見つかりません。お客様にもう一度読み上げてもらってください。",
        "en": "Connection number {number} does not exist. Ask the guest to read it out again.",
    },
    "error.number_expired": {
        "ja": "接続番号 {number} は有効期限が切れています。お客様に新しい番号を発行してもらってください。",
        "en": "Connection number {number} has expired. Ask the guest to get a new number.",
    },
    "error.number_used": {
        "ja": "接続番号 {number} はすでに使われています。お客様に新しい番号を発行してもらってください。",
        "en": "Connection number {number} has already been used. Ask the guest to get a new number.",
    },
    "error.too_many_attempts": {
        "ja": "番号の入力ミスが続いたため、一時的に受け付けを止めています。{seconds} 秒後にもう一度お試しください。",
        "en": "Too many wrong numbers. Try again in {seconds} seconds.",
    },
    "error.too_many_numbers": {
        "ja": "接続番号の発行が多すぎます。{seconds} 秒ほど待ってからもう一度お試しください。",
        "en": "Too many numbers requested. Wait {seconds} seconds and try again.",
    },
    "error.numbers_exhausted": {
        "ja": "ただいま混み合っています。少し待ってからもう一度「接続番号を発行」を押してください。",
        "en": "All numbers are in use right now. Wait a moment and press “Get a number” again.",
    },
    "error.guest_token_required": {
        "ja": "接続情報がありません。最初からやり直してください。",
        "en": "No connection details were sent. Please start again.",
    },
    "error.invalid_guest_token": {
        "ja": "接続情報が正しくありません。最初からやり直してください。",
        "en": "The connection details are not valid. Please start again.",
    },
    "error.guest_token_expired": {
        "ja": "接続情報の有効期限が切れました。最初からやり直してください。",
        "en": "The connection details have expired. Please start again.",
    },
    "error.origin_not_allowed": {
        "ja": "このページからは接続番号を発行できません。担当者に案内されたページを開いてください。",
        "en": "Numbers cannot be requested from this page. Open the page your host told you about.",
    },
    "error.capture_too_large": {
        "ja": "画像が大きすぎます（上限 {limit_mb} MB）。",
        "en": "The image is too large (limit {limit_mb} MB).",
    },
    "error.unsupported_image": {
        "ja": "この形式の画像は受け付けられません。PNG・JPEG・WebP のいずれかを送ってください。",
        "en": "This kind of image is not accepted. Send a PNG, JPEG or WebP.",
    },
    "error.image_too_large": {
        "ja": "画像の画素数が多すぎます（上限 {megapixels} メガピクセル）。",
        "en": "The image has too many pixels (limit {megapixels} megapixels).",
    },
    "error.image_corrupt": {
        "ja": "画像を読み取れませんでした（途中で切れているか、壊れています）。もう一度送ってください。",
        "en": "The image could not be read (it is cut short or damaged). Please send it again.",
    },
    "error.site_unknown": {
        "ja": "サイトキーが正しくありません。設置用タグをコンソールからコピーし直してください。",
        "en": "Unknown site key. Copy the tag from the console again.",
    },
    "error.site_disabled": {
        "ja": "このサイトの画面サポートは現在停止されています。",
        "en": "Screen support is switched off for this site.",
    },
    "error.not_connected": {
        "ja": "まだ担当者とつながっていません。接続番号を担当者に伝えてください。",
        "en": "You are not connected to a host yet. Read your number to them first.",
    },
    "error.meeting_ended": {
        "ja": "このミーティングは終了しています。",
        "en": "This meeting has ended.",
    },
    "error.too_many_pages": {
        "ja": "ページの移動の通知が多すぎます。{seconds} 秒ほどで再び通知されます。",
        "en": "Too many page reports. Pages are reported again in about {seconds} seconds.",
    },
    "error.url_too_long": {
        "ja": "このページのアドレス（URL）は長すぎて送れません（{limit} 文字まで）。",
        "en": "This page's address (URL) is too long to send (at most {limit} characters).",
    },
    "error.title_too_long": {
        "ja": "このページのタイトルは長すぎて送れません（{limit} 文字まで）。",
        "en": "This page's title is too long to send (at most {limit} characters).",
    },
    "error.too_many_origin_checks": {
        "ja": "確認が多すぎます。{seconds} 秒ほど待ってからもう一度お試しください。",
        "en": "Too many checks. Wait {seconds} seconds and try again.",
    },
    "error.too_many_captures": {
        "ja": "送信が多すぎます。{seconds} 秒ほど待ってから送ってください。",
        "en": "Too many captures. Wait {seconds} seconds before sending again.",
    },
    "error.ingest_busy": {
        "ja": "サーバーが混み合っていて画像を受け取れませんでした。{seconds} 秒ほど待ってから送ってください。",
        "en": "The server is too busy to take the picture. Send it again in about {seconds} seconds.",
    },
    "error.invalid_idempotency_key": {
        "ja": "送信の識別子（Idempotency-Key）が正しくありません（英数字と - _ で 8〜64 文字）。",
        "en": "The Idempotency-Key is not valid (8 to 64 letters, digits, - or _).",
    },
    "error.capture_not_found": {"ja": "キャプチャが見つかりません。", "en": "No such capture."},
    "error.invalid_phone": {
        "ja": "電話番号として読み取れません。090-1234-5678 のように入力してください。",
        "en": "That is not a phone number. Type it like 090-1234-5678.",
    },
    "error.phone_not_mobile": {
        "ja": "携帯電話の番号ではないため、SMS を送れません（固定電話や 050 の番号には送れません）。",
        "en": "SMS can only go to mobile numbers (not landlines or 050 numbers).",
    },
    "error.phone_country_not_allowed": {
        "ja": "この国（{country}）の番号には SMS を送れない設定です。",
        "en": "SMS to numbers in this country ({country}) is not enabled.",
    },
    "error.link_expired": {
        "ja": "このリンクは有効期限が切れています。担当者に連絡するか、参加ページから接続番号を発行してください。",
        "en": "This link has expired. Call your host, or get a number on the join page.",
    },
    "error.link_invalid": {
        "ja": "このリンクは使えません。担当者に連絡するか、参加ページから接続番号を発行してください。",
        "en": "This link cannot be used. Call your host, or get a number on the join page.",
    },
    "error.meeting_not_found": {"ja": "ミーティングが見つかりません。", "en": "No such meeting."},
    "error.invalid_state": {
        "ja": "state は {states} のいずれかです。",
        "en": "state must be one of: {states}.",
    },
    "error.invalid_after": {
        "ja": "after にはイベント ID（0 以上の整数）を指定してください。",
        "en": "after must be an event id (a whole number, 0 or more).",
    },
    # -- navigation and pages for meetings
    "nav.meetings": {"ja": "履歴", "en": "History"},
    "dashboard.number_title": {"ja": "接続番号を入力", "en": "Enter the connection number"},
    "dashboard.number_lead": {
        "ja": "お客様が電話で読み上げた {digits} 桁の番号を入力してください。",
        "en": "Type the {digits}-digit number the guest reads out over the phone.",
    },
    "dashboard.number_digit": {"ja": "{n} 桁目", "en": "Digit {n}"},
    "dashboard.connect": {"ja": "接続", "en": "Connect"},
    "dashboard.live_title": {"ja": "通話中のミーティング", "en": "Your live meetings"},
    "dashboard.no_live": {
        "ja": "通話中のミーティングはありません。",
        "en": "No live meetings.",
    },
    "dashboard.join_hint": {
        "ja": "お客様には {url} を開いてもらうと、接続番号を発行できます。",
        "en": "Guests get a number by opening {url}.",
    },
    "dashboard.js.connecting": {"ja": "接続しています…", "en": "Connecting…"},
    "dashboard.js.open": {"ja": "開く", "en": "Open"},
    "dashboard.js.guest_here": {"ja": "お客様 接続中", "en": "Guest connected"},
    "dashboard.js.guest_away": {"ja": "お客様 未接続", "en": "Guest not connected"},
    "dashboard.js.network": {
        "ja": "サーバーに接続できません。ネットワークを確認してください。",
        "en": "Cannot reach the server. Check the network.",
    },
    "meetings.title": {"ja": "ミーティング履歴", "en": "Meeting history"},
    "meetings.none": {"ja": "まだミーティングはありません。", "en": "No meetings yet."},
    "meetings.number": {"ja": "接続番号", "en": "Number"},
    "meetings.host": {"ja": "担当者", "en": "Host"},
    "meetings.started": {"ja": "開始", "en": "Started"},
    "meetings.ended": {"ja": "終了", "en": "Ended"},
    "meetings.state": {"ja": "状態", "en": "State"},
    "state.waiting": {"ja": "お客様待ち", "en": "Waiting for guest"},
    "state.active": {"ja": "通話中", "en": "Live"},
    "state.ended": {"ja": "終了", "en": "Ended"},
    "ended_by.host": {"ja": "担当者が終了", "en": "ended by the host"},
    "ended_by.guest": {"ja": "お客様が退出", "en": "the guest left"},
    "ended_by.system": {"ja": "自動で終了", "en": "ended automatically"},
    "ended_by.timeout": {"ja": "全員の退出後に自動で終了", "en": "ended after everyone left"},
    "captures.title": {"ja": "画面キャプチャ", "en": "Page captures"},
    "captures.ask": {"ja": "キャプチャを依頼", "en": "Ask for a capture"},
    "captures.minimise": {"ja": "最小化", "en": "Minimise"},
    "captures.none": {
        "ja": "まだキャプチャはありません。お客様が送信ボタンを押すと、ここにすぐ表示されます。",
        "en": "No captures yet. They appear here as soon as the guest taps send.",
    },
    "captures.show_url": {"ja": "全体を表示", "en": "Show all"},
    "captures.zoom": {"ja": "拡大", "en": "Zoom"},
    "captures.full_size": {"ja": "原寸で開く", "en": "Full size"},
    "captures.download": {"ja": "ダウンロード", "en": "Download"},
    "captures.all": {"ja": "これまでのキャプチャ", "en": "All captures"},
    "captures.visited": {"ja": "閲覧したページ", "en": "Pages visited"},
    "captures.no_visits": {"ja": "まだありません。", "en": "None yet."},
    "meeting.js.restore": {"ja": "元に戻す", "en": "Restore"},
    "meeting.js.minimise": {"ja": "最小化", "en": "Minimise"},
    "meeting.js.zoom_out": {"ja": "縮小", "en": "Fit"},
    "meeting.js.zoom": {"ja": "拡大", "en": "Zoom"},
    "meeting.js.show_url": {"ja": "全体を表示", "en": "Show all"},
    "meeting.js.hide_url": {"ja": "短く表示", "en": "Show less"},
    "meeting.js.asked": {
        "ja": "お客様にキャプチャの送信を依頼しました。",
        "en": "The guest has been asked to send a capture.",
    },
    "meeting.js.ask_failed": {
        "ja": "依頼できませんでした。もう一度お試しください。",
        "en": "Could not ask the guest. Please try again.",
    },
    "meeting.js.no_title": {"ja": "（タイトルなし）", "en": "(no title)"},
    "event.capture.created": {"ja": "キャプチャを受信: {title}", "en": "Capture received: {title}"},
    "event.capture.created.removed": {
        "ja": "キャプチャを受信（削除済み）",
        "en": "Capture received (deleted)",
    },
    "event.capture.requested": {"ja": "キャプチャを依頼しました", "en": "Capture requested"},
    "event.guest.attached": {
        "ja": "画面サポートのお客様が参加しました（番号 {number}）",
        "en": "A screen-support guest joined (number {number})",
    },
    "captures.attach_label": {
        "ja": "画面サポートのお客様を追加（接続番号）",
        "en": "Add a screen-support guest (connection number)",
    },
    "captures.attach": {"ja": "追加", "en": "Add"},
    "meeting.js.attached": {
        "ja": "お客様が画面サポートで参加しました。",
        "en": "The guest joined with screen support.",
    },
    "event.page.visited": {"ja": "ページを表示: {title}", "en": "Page opened: {title}"},
    "event.page.visited.removed": {"ja": "ページを表示（削除済み）", "en": "Page opened (deleted)"},
    "meeting.title": {"ja": "ミーティング #{id}", "en": "Meeting #{id}"},
    "meeting.guest": {"ja": "お客様", "en": "Guest"},
    "meeting.elapsed": {"ja": "経過時間", "en": "Elapsed"},
    "meeting.timeline": {"ja": "タイムライン", "en": "Timeline"},
    "meeting.end": {"ja": "ミーティングを終了", "en": "End meeting"},
    "meeting.end_confirm": {
        "ja": "ミーティングを終了しますか？お客様の画面も終了します。",
        "en": "End the meeting? It ends on the guest's side too.",
    },
    "meeting.stage": {
        "ja": "お客様の画面キャプチャとカメラ映像はここに表示されます。",
        "en": "The guest's page captures and camera video appear here.",
    },
    "meeting.js.guest_waiting": {"ja": "接続待ち", "en": "Waiting"},
    "meeting.js.guest_connected": {"ja": "接続中", "en": "Connected"},
    "meeting.js.guest_left": {"ja": "退出しました", "en": "Left"},
    "meeting.js.guest_away": {"ja": "接続が切れています", "en": "Disconnected"},
    "meeting.js.ended": {"ja": "ミーティングは終了しました", "en": "The meeting has ended"},
    "meeting.js.ended_by_guest": {
        "ja": "お客様が退出したため、ミーティングは終了しました。",
        "en": "The guest left; the meeting has ended.",
    },
    "meeting.js.ended_by_host": {
        "ja": "ミーティングを終了しました。",
        "en": "You ended the meeting.",
    },
    "meeting.js.ended_by_timeout": {
        "ja": "担当者とお客様のどちらも接続していない状態が続いたため、ミーティングは自動で終了しました。",
        "en": "Neither you nor the guest was connected for a while, so the meeting ended by itself.",
    },
    "meeting.js.reconnecting": {
        "ja": "再接続しています…",
        "en": "Reconnecting…",
    },
    "meeting.js.end_failed": {
        "ja": "終了できませんでした。もう一度お試しください。",
        "en": "Could not end the meeting. Please try again.",
    },
    "event.meeting.started": {
        "ja": "ミーティング開始（番号 {number}）",
        "en": "Meeting started (number {number})",
    },
    "event.meeting.ended": {"ja": "ミーティング終了", "en": "Meeting ended"},
    "event.meeting.ended_timeout": {
        "ja": "ミーティング終了（全員の退出後に自動で）",
        "en": "Meeting ended (by itself, after everyone left)",
    },
    "event.guest.connected": {"ja": "お客様が接続しました", "en": "The guest connected"},
    "event.guest.disconnected": {"ja": "お客様の接続が切れました", "en": "The guest disconnected"},
    "event.data.deleted": {
        "ja": "{by} がデータを削除しました（キャプチャ {captures} 件）",
        "en": "{by} deleted the meeting's data ({captures} captures)",
    },
    "event.data.expired": {
        "ja": "保存期間（{days} 日）を過ぎたデータを削除しました（キャプチャ {captures} 件）",
        "en": "Data past the retention period ({days} days) deleted ({captures} captures)",
    },
    "meeting.delete_data": {"ja": "データを削除", "en": "Delete data"},
    "meeting.delete_data_hint": {
        "ja": "このミーティングのキャプチャを削除します。タイムラインは残りますが、"
        "お客様が表示したページのアドレスと題名は消えます。",
        "en": "Deletes this meeting's captures. The timeline stays, without the addresses "
        "and titles of the pages the customer showed.",
    },
    "meeting.delete_data_confirm": {
        "ja": "このミーティングのキャプチャをすべて削除しますか？元に戻せません。",
        "en": "Delete all of this meeting's captures? This cannot be undone.",
    },
    "meeting.data_deleted": {
        "ja": "ミーティングのデータを削除しました（キャプチャ {captures} 件）。",
        "en": "The meeting's data was deleted ({captures} captures).",
    },
    # -- the public join page
    "join.title": {"ja": "担当者とつなぐ", "en": "Connect with your host"},
    "join.lead": {
        "ja": "電話はそのままで、担当者とこの画面をつなぎます。",
        "en": "Stay on the phone: this page connects you with the person you are talking to.",
    },
    "join.step1": {
        "ja": "下のボタンで 4 桁の接続番号を発行します。",
        "en": "Get a 4-digit connection number below.",
    },
    "join.step2": {
        "ja": "電話で担当者にその番号を伝えます。",
        "en": "Read it to the person on the phone.",
    },
    "join.step3": {
        "ja": "担当者が入力すると、自動でつながります。",
        "en": "When they type it in, you are connected.",
    },
    "join.consent": {
        "ja": "利用規約とプライバシーポリシーに同意します（通話中、担当者にこの画面の接続状況が伝わります）",
        "en": "I agree to the terms and privacy policy (while connected, the host sees that this page is connected)",
    },
    "join.read_terms": {
        "ja": "利用規約とプライバシーポリシーを読む",
        "en": "Read the terms and privacy policy",
    },
    "join.issue": {"ja": "接続番号を発行する", "en": "Get a connection number"},
    "join.number_label": {"ja": "あなたの接続番号", "en": "Your connection number"},
    "join.number_help": {
        "ja": "この番号を電話で担当者にお伝えください。",
        "en": "Read this number to the person on the phone.",
    },
    "join.leave_waiting": {"ja": "やめる", "en": "Cancel"},
    "join.connected_title": {"ja": "担当者とつながりました", "en": "You are connected"},
    "join.stage": {
        "ja": "このまま電話でお話しください。",
        "en": "Carry on talking on the phone.",
    },
    "join.end": {"ja": "終了する", "en": "End"},
    "join.end_confirm": {"ja": "終了しますか？", "en": "End the connection?"},
    "join.ended_title": {"ja": "終了しました", "en": "Finished"},
    "join.thanks": {"ja": "ご利用ありがとうございました。", "en": "Thank you."},
    "join.again": {"ja": "最初に戻る", "en": "Start again"},
    "join.noscript": {
        "ja": "このページを使うには JavaScript を有効にしてください。",
        "en": "Please turn on JavaScript to use this page.",
    },
    "join.js.expires_in": {"ja": "有効期限 残り {time}", "en": "Valid for {time}"},
    "join.js.expired": {
        "ja": "番号の有効期限が切れました。新しい番号を発行してください。",
        "en": "This number has expired. Please get a new one.",
    },
    "join.js.reissue": {"ja": "新しい番号を発行する", "en": "Get a new number"},
    "join.js.host": {"ja": "担当者: {name}", "en": "Host: {name}"},
    "join.js.ended_by_host": {
        "ja": "担当者がミーティングを終了しました。",
        "en": "The host has ended the meeting.",
    },
    "join.js.ended_by_guest": {"ja": "接続を終了しました。", "en": "You ended the connection."},
    "join.js.ended_by_timeout": {
        "ja": "しばらく接続がなかったため、ミーティングは終了しました。",
        "en": "The meeting ended because no one was connected for a while.",
    },
    "join.js.reconnecting": {
        "ja": "通信が不安定です。再接続しています…",
        "en": "Connection unstable. Reconnecting…",
    },
    "join.js.network": {
        "ja": "通信できませんでした。電波の良い場所でもう一度お試しください。",
        "en": "Could not connect. Please try again where the signal is better.",
    },
    # -- join links (SMS and QR)
    "join.link_title": {"ja": "ビデオ通話に参加", "en": "Join the video call"},
    "join.link_lead": {
        "ja": "お電話中の担当者（{name}）とこの画面をつなぎます。電話は切らずにそのままお使いください。",
        "en": "This connects you with {name}, who you are talking to. Stay on the phone.",
    },
    "join.link_join": {"ja": "参加する", "en": "Join"},
    "link_problem.title": {"ja": "このリンクは使えません", "en": "This link cannot be used"},
    "link_problem.call": {
        "ja": "お電話中であれば、担当者に新しいリンクを送ってもらってください。",
        "en": "If you are on the phone, ask your host to send a new link.",
    },
    "link_problem.join": {
        "ja": "または参加ページで接続番号を発行し、担当者に読み上げてください。",
        "en": "Or get a connection number on the join page and read it to your host.",
    },
    "link_problem.open_join": {"ja": "参加ページを開く", "en": "Open the join page"},
    "join_qr.title": {
        "ja": "スマートフォンで担当者とつなぐ",
        "en": "Connect with us on your phone",
    },
    "join_qr.lead": {
        "ja": "スマートフォンのカメラでこの QR コードを読み取ってください。",
        "en": "Scan this QR code with your phone's camera.",
    },
    "join_qr.alt": {"ja": "参加ページ {url} の QR コード", "en": "QR code for {url}"},
    "join_qr.help": {
        "ja": "開いたページで接続番号を発行し、お電話で担当者に読み上げてください。",
        "en": "On the page that opens, get a connection number and read it to us on the phone.",
    },
    "error.link_meeting_ended": {
        "ja": "この通話はすでに終了しています。",
        "en": "This call has already ended.",
    },
    "error.too_many_joins": {
        "ja": "参加の操作が多すぎます。{seconds} 秒ほど待ってからもう一度お試しください。",
        "en": "Too many attempts to join. Wait {seconds} seconds and try again.",
    },
    # -- SMS
    "error.sms_duplicate": {
        "ja": "この番号には 1 分以内に同じリンクを送っています。届くまで少しお待ちください。",
        "en": "This link went to that number less than a minute ago. Give it a moment to arrive.",
    },
    "error.too_many_sms_to_number": {
        "ja": "この番号への SMS が多すぎます。{minutes} 分ほど待ってから送ってください。",
        "en": "Too many SMS to this number. Wait {minutes} minutes before sending again.",
    },
    "error.too_many_sms_from_host": {
        "ja": "送信した SMS が多すぎます。{minutes} 分ほど待ってから送ってください。",
        "en": "You have sent too many SMS. Wait {minutes} minutes before sending again.",
    },
    "error.too_many_sms": {
        "ja": "この 1 時間の SMS 送信数が上限に達しました。{minutes} 分ほど待つか、管理者に連絡してください。",
        "en": "This server's hourly SMS limit is reached. Wait {minutes} minutes or ask your admin.",
    },
    "error.sms_refused": {
        "ja": "SMS を送れませんでした。{reason}",
        "en": "The SMS could not be sent. {reason}",
    },
    "error.sms_unavailable": {
        "ja": "SMS サービスに接続できませんでした。少し待ってからもう一度送ってください。",
        "en": "Could not reach the SMS service. Wait a moment and send again.",
    },
    "error.sms_uncertain": {
        "ja": "SMS サービスから応答がなく、送信できたか分かりません。1 分待っても届かなければ、もう一度送ってください。",
        "en": "No answer from the SMS service, so it may or may not have been sent. "
        "If it has not arrived within a minute, send it again.",
    },
    "sms.error.uncertain": {
        "ja": "SMS サービスから応答がなく、送信できたか分かりません。",
        "en": "No answer from the SMS service; it may or may not have been sent.",
    },
    "sms.status.unknown": {"ja": "送信状況不明", "en": "Unknown"},
    "error.not_in_call": {
        "ja": "このミーティングの通話に参加できるのは担当者本人だけです。",
        "en": "Only the meeting's own host takes part in its call.",
    },
    "error.invalid_signature": {
        "ja": "署名が正しくありません。",
        "en": "The request signature is missing or wrong.",
    },
    "sms.error.21211": {
        "ja": "電話番号が正しくありません。番号を確かめてください。",
        "en": "The phone number is not valid. Check the number.",
    },
    "sms.error.21614": {
        "ja": "携帯電話の番号ではありません（固定電話には SMS を送れません）。",
        "en": "This is not a mobile number (landlines cannot receive SMS).",
    },
    "sms.error.21408": {
        "ja": "この国あての SMS が Twilio で許可されていません。管理者に連絡してください。",
        "en": "SMS to this country is not enabled in Twilio. Ask your admin.",
    },
    "sms.error.21610": {
        "ja": "お客様が SMS の受信を停止しています（STOP）。別の方法で案内してください。",
        "en": "The guest has opted out of SMS (STOP). Use another way to share the link.",
    },
    "sms.error.21612": {
        "ja": "この番号へは送信元の番号から SMS を送れません。",
        "en": "This number cannot be reached from our sending number.",
    },
    "sms.error.21606": {
        "ja": "送信元の番号が SMS に対応していません。管理者に連絡してください。",
        "en": "The sending number cannot send SMS. Ask your admin.",
    },
    "sms.error.20003": {
        "ja": "Twilio の認証に失敗しました。管理者に設定を確認してもらってください。",
        "en": "Twilio did not accept our credentials. Ask your admin to check the settings.",
    },
    "sms.error.30003": {
        "ja": "お客様の電話に届きませんでした（電源が切れているか圏外です）。",
        "en": "The guest's phone could not be reached (switched off or out of coverage).",
    },
    "sms.error.30004": {
        "ja": "お客様の電話で受信が拒否されました（迷惑メッセージ設定など）。",
        "en": "The guest's phone blocked the message (e.g. a spam filter).",
    },
    "sms.error.30005": {
        "ja": "この番号は使われていないか存在しません。番号を確かめてください。",
        "en": "The number is unknown or no longer in use. Check the number.",
    },
    "sms.error.30006": {
        "ja": "この番号は SMS を受け取れません（固定電話など）。",
        "en": "This number cannot receive SMS (a landline, for example).",
    },
    "sms.error.30007": {
        "ja": "通信会社に迷惑メッセージとして止められました。",
        "en": "The carrier filtered the message as spam.",
    },
    "sms.error.30008": {
        "ja": "通信会社の原因不明のエラーで届きませんでした。少し待って送り直してください。",
        "en": "The carrier reported an unknown error. Wait a little and send again.",
    },
    "sms.error.unavailable": {
        "ja": "SMS サービスに接続できませんでした。",
        "en": "The SMS service could not be reached.",
    },
    "sms.error.other": {
        "ja": "Twilio のエラーコード {code} です。",
        "en": "Twilio error code {code}.",
    },
    "sms.status.created": {"ja": "送信準備中", "en": "Preparing"},
    "sms.status.accepted": {"ja": "受付済み", "en": "Accepted"},
    "sms.status.scheduled": {"ja": "予約済み", "en": "Scheduled"},
    "sms.status.queued": {"ja": "送信待ち", "en": "Queued"},
    "sms.status.sending": {"ja": "送信中", "en": "Sending"},
    "sms.status.sent": {"ja": "送信済み", "en": "Sent"},
    "sms.status.delivered": {"ja": "配信済み", "en": "Delivered"},
    "sms.status.undelivered": {"ja": "未達", "en": "Not delivered"},
    "sms.status.failed": {"ja": "送信失敗", "en": "Failed"},
    "sms.status.canceled": {"ja": "取り消し", "en": "Canceled"},
    "sms.status.read": {"ja": "既読", "en": "Read"},
    "sms.status.outbox": {"ja": "送信箱に保存（未送信）", "en": "Kept in the outbox (not sent)"},
    "sms.segments": {"ja": "SMS {count} 通分", "en": "{count} SMS segment(s)"},
    "sms.outbox_notice": {
        "ja": "SMS は送信箱モードです。Twilio が設定されていないため実際には送信されず、送信箱に保存されます（TWILIO_ACCOUNT_SID などを設定すると送信されます）。",
        "en": "SMS is in outbox mode: with no Twilio configured, messages are kept in the outbox, "
        "not sent (set TWILIO_ACCOUNT_SID and friends to send them).",
    },
    "nav.outbox": {"ja": "SMS 送信箱", "en": "SMS outbox"},
    "outbox.title": {"ja": "SMS 送信箱", "en": "SMS outbox"},
    "outbox.twilio_now": {
        "ja": "現在は Twilio で実際に送信しています。ここには送信箱モードだった頃のメッセージが残っています。",
        "en": "SMS now go out through Twilio; these messages are from when the outbox was in use.",
    },
    "outbox.time": {"ja": "日時", "en": "Time"},
    "outbox.to": {"ja": "宛先", "en": "To"},
    "outbox.meeting": {"ja": "ミーティング", "en": "Meeting"},
    "outbox.body": {"ja": "本文", "en": "Message"},
    "outbox.open_link": {
        "ja": "リンクを開く（お客様の画面）",
        "en": "Open the link (the guest's view)",
    },
    "outbox.empty": {"ja": "送信箱は空です。", "en": "The outbox is empty."},
    "event.meeting.created": {
        "ja": "ミーティングを作成（お客様の参加待ち）",
        "en": "Meeting created (waiting for the guest)",
    },
    "event.meeting.started_link": {
        "ja": "お客様がリンクから参加し、ミーティング開始",
        "en": "The guest joined by link; meeting started",
    },
    "event.guest.joined": {
        "ja": "お客様がリンクから参加しました",
        "en": "A guest joined by link",
    },
    "event.sms.status": {"ja": "SMS（{to}）: {status}", "en": "SMS ({to}): {status}"},
    "invite.title": {"ja": "リンクで招待", "en": "Invite by link"},
    "invite.phone": {"ja": "お客様の携帯電話番号", "en": "Guest's mobile number"},
    "invite.send": {"ja": "SMS で送る", "en": "Send by SMS"},
    "invite.one_device": {
        "ja": "リンクは {minutes} 分有効で、最初に開いた 1 台の端末だけが使えます。コピーや QR 表示のたびに新しいリンクを作ります。",
        "en": "A link works for {minutes} minutes, on the first phone that opens it only; "
        "each copy or QR code is a new link.",
    },
    "error.link_used": {
        "ja": "このリンクは別の端末ですでに使われています。担当者に新しいリンクを送ってもらってください。",
        "en": "This link has already been used on another device. Ask your host for a new link.",
    },
    "invite.copy": {"ja": "リンクをコピー", "en": "Copy link"},
    "invite.show_qr": {"ja": "QR コードを表示", "en": "Show QR code"},
    "invite.hide_qr": {"ja": "QR コードを隠す", "en": "Hide QR code"},
    "invite.messages": {"ja": "送信した SMS", "en": "SMS sent"},
    "invite.preview": {"ja": "送信内容", "en": "Message"},
    "meeting.js.sms_sent": {"ja": "SMS を送りました。", "en": "SMS sent."},
    "meeting.js.sms_outbox": {
        "ja": "送信箱に保存しました（送信箱モード）。",
        "en": "Kept in the outbox (outbox mode).",
    },
    "meeting.js.link_expires": {
        "ja": "このリンクは {time} まで有効です。",
        "en": "This link works until {time}.",
    },
    "meeting.js.no_sms": {"ja": "まだ送っていません。", "en": "None sent yet."},
    "meeting.js.copied": {"ja": "リンクをコピーしました。", "en": "Link copied."},
    "meeting.js.copy_failed": {
        "ja": "コピーできませんでした。リンクを選択してコピーしてください。",
        "en": "Could not copy. Select the link and copy it.",
    },
    "meeting.js.network": {
        "ja": "通信できませんでした。もう一度お試しください。",
        "en": "Could not reach the server. Please try again.",
    },
    "dashboard.invite_title": {
        "ja": "SMS・リンクで通話を始める",
        "en": "Start a call by SMS or link",
    },
    "dashboard.invite_lead": {
        "ja": "お客様の携帯電話番号に参加リンクを SMS で送ります。お客様がタップすると番号なしでつながります。",
        "en": "Send the guest a join link by SMS; one tap connects them, no number needed.",
    },
    "dashboard.invite_send": {"ja": "SMS を送って開始", "en": "Send SMS and start"},
    "dashboard.invite_link_only": {
        "ja": "SMS を使わずリンク・QR コードで案内",
        "en": "Share a link or QR code instead",
    },
    "dashboard.join_qr": {
        "ja": "受付用の QR コード（参加ページ）",
        "en": "QR code for the join page",
    },
    "dashboard.js.sending": {"ja": "送信しています…", "en": "Sending…"},
    # -- video
    "video.title": {"ja": "ビデオ", "en": "Video"},
    "video.ask_camera": {"ja": "お客様にカメラを依頼", "en": "Ask the guest for their camera"},
    "video.asked": {
        "ja": "お客様にカメラをオンにするよう依頼しました。",
        "en": "The guest has been asked to turn on their camera.",
    },
    "video.asked_guest": {
        "ja": "担当者がカメラをオンにするよう依頼しています。",
        "en": "Your host asks you to turn on your camera.",
    },
    "video.remote_label": {"ja": "相手のカメラ", "en": "The other side's camera"},
    "video.local_label": {"ja": "自分のカメラ", "en": "Your camera"},
    "video.remote_camera_off": {"ja": "相手のカメラはオフです", "en": "Their camera is off"},
    "video.camera_off_button": {"ja": "カメラをオフにする", "en": "Turn camera off"},
    "video.camera_on_button": {"ja": "カメラをオンにする", "en": "Turn camera on"},
    "video.switch_camera": {"ja": "カメラを切り替える", "en": "Switch camera"},
    "video.retry": {"ja": "もう一度カメラを試す", "en": "Try the camera again"},
    "video.camera_denied": {
        "ja": "カメラの使用が許可されていません。ブラウザの設定でこのページにカメラを許可してから「もう一度カメラを試す」を押してください。",
        "en": "Camera access is blocked. Allow the camera for this page in your browser's "
        "settings, then press \u201cTry the camera again\u201d.",
    },
    "video.camera_missing": {
        "ja": "カメラが見つからないか、他のアプリが使用中です。映像なしでも通話は続けられます。",
        "en": "No camera found, or another app is using it. The call goes on without your picture.",
    },
    "video.state.waiting": {"ja": "相手の参加を待っています…", "en": "Waiting for the other side…"},
    "video.state.connecting": {"ja": "ビデオを接続しています…", "en": "Connecting video…"},
    "video.state.connected": {"ja": "ビデオ接続中", "en": "Video connected"},
    "video.state.reconnecting": {
        "ja": "通信が不安定です。ビデオを再接続しています…",
        "en": "The connection is unstable. Reconnecting video…",
    },
    "video.state.failed": {
        "ja": "ビデオをつなげません。Wi-Fi とモバイル通信を切り替えるか、ページを再読み込みしてください。続く場合は管理者に TURN サーバーの設定を確認してもらってください。",
        "en": "Video cannot connect. Switch between Wi-Fi and mobile data, or reload the page. "
        "If it persists, ask your admin to check the TURN server settings.",
    },
    "video.state.ended": {"ja": "ビデオを終了しました", "en": "Video ended"},
}
