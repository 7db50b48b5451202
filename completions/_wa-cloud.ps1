
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wa-cloud' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wa-cloud'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wa-cloud' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send messages and print their wamids, one a line')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective configuration, each value with where it came from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the webhooks endpoint: store every notification, print messages as JSON lines')
            [CompletionResult]::new('upload', 'upload', [CompletionResultType]::ParameterValue, 'Upload media files through the media cache; print their ids, one a line')
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download media by id into media.downloadDir; print the paths, one a line')
            [CompletionResult]::new('media', 'media', [CompletionResultType]::ParameterValue, 'List or delete what the media database holds')
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal')
            [CompletionResult]::new('inbox', 'inbox', [CompletionResultType]::ParameterValue, 'Show what waits in the inbox: events handed over, unacknowledged or parked')
            [CompletionResult]::new('contacts', 'contacts', [CompletionResultType]::ParameterValue, 'Show the people serve has heard from, their identifiers and their 24-hour windows')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL')
            [CompletionResult]::new('healthcheck', 'healthcheck', [CompletionResultType]::ParameterValue, 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)')
            [CompletionResult]::new('templates', 'templates', [CompletionResultType]::ParameterValue, 'List, show, sync, create and delete message templates (graphApi.businessAccountId)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;send' {
            [CompletionResult]::new('--reply-to', '--reply-to', [CompletionResultType]::ParameterName, 'Quote this message (its wamid) in every message sent')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Send through this business number (its phone number id) instead of graphApi.phoneNumberId')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'A Graph API message object as JSON (type may be left out, text may be a string); `-` reads one or more from stdin')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Send an image: FILE, or the media given by --link or --id')
            [CompletionResult]::new('--audio', '--audio', [CompletionResultType]::ParameterName, 'Send an audio file: FILE, or the media given by --link or --id')
            [CompletionResult]::new('--video', '--video', [CompletionResultType]::ParameterName, 'Send a video: FILE, or the media given by --link or --id')
            [CompletionResult]::new('--document', '--document', [CompletionResultType]::ParameterName, 'Send a document: FILE, or the media given by --link or --id')
            [CompletionResult]::new('--sticker', '--sticker', [CompletionResultType]::ParameterName, 'Send a sticker (WebP): FILE, or the media given by --link or --id')
            [CompletionResult]::new('--link', '--link', [CompletionResultType]::ParameterName, 'The media''s public http(s) URL')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'The media''s id, from an upload')
            [CompletionResult]::new('--caption', '--caption', [CompletionResultType]::ParameterName, 'Caption of an image, video or document')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'File name shown for a document')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Send a location')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the location')
            [CompletionResult]::new('--address', '--address', [CompletionResultType]::ParameterName, 'Address of the location')
            [CompletionResult]::new('--contacts', '--contacts', [CompletionResultType]::ParameterName, 'Send contacts from a JSON file (`-`: stdin): one contact or an array, in WhatsApp''s shape or as {"name":"Ada Lovelace","phone":"+44...","email":"..."}')
            [CompletionResult]::new('--button', '--button', [CompletionResultType]::ParameterName, 'A reply button, up to 3; TEXT is the message body')
            [CompletionResult]::new('--section', '--section', [CompletionResultType]::ParameterName, 'Start a list section with this title; the --row flags after it belong to it')
            [CompletionResult]::new('--row', '--row', [CompletionResultType]::ParameterName, 'A list row, up to 10 in all sections; TEXT is the message body')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'A list as JSON, or a JSON file: an array of sections or the whole `action` object')
            [CompletionResult]::new('--list-button', '--list-button', [CompletionResultType]::ParameterName, 'Label of the button that opens a list')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Header text of a button or list message')
            [CompletionResult]::new('--footer', '--footer', [CompletionResultType]::ParameterName, 'Footer text of a button or list message')
            [CompletionResult]::new('--react', '--react', [CompletionResultType]::ParameterName, 'React to a message with this emoji ("" removes the reaction)')
            [CompletionResult]::new('--to-message', '--to-message', [CompletionResultType]::ParameterName, 'The wamid of the message to react to')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Send the approved template NAME')
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Language code of the template, exactly as approved (en_US, de, ...)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A body parameter of the template: TEXT in order, or NAME=TEXT for named parameters')
            [CompletionResult]::new('--currency-param', '--currency-param', [CompletionResultType]::ParameterName, 'A currency body parameter, such as EUR:12.50 or total=USD:100.99:$100.99')
            [CompletionResult]::new('--date-param', '--date-param', [CompletionResultType]::ParameterName, 'A date-time body parameter, shown as given, such as "February 25, 1977"')
            [CompletionResult]::new('--header-image', '--header-image', [CompletionResultType]::ParameterName, 'The template''s header image: FILE (uploaded through the media cache), URL or media id')
            [CompletionResult]::new('--header-video', '--header-video', [CompletionResultType]::ParameterName, 'The template''s header video: FILE, URL or media id')
            [CompletionResult]::new('--header-document', '--header-document', [CompletionResultType]::ParameterName, 'The template''s header document (PDF): FILE, URL or media id; --filename names it')
            [CompletionResult]::new('--header-location', '--header-location', [CompletionResultType]::ParameterName, 'The template''s header location; --name and --address describe it')
            [CompletionResult]::new('--button-param', '--button-param', [CompletionResultType]::ParameterName, 'A button''s value: the URL''s variable part, a quick reply''s payload, a coupon code or a flow token, by the button''s position from 0')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to keep retrying while the Graph API cannot be reached or asks to wait (60s, 5m, or milliseconds); 0 tries once')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--preview-url', '--preview-url', [CompletionResultType]::ParameterName, 'Show a preview of the first URL in text messages')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;serve' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one (webhooks.port)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Path of the webhooks endpoint (webhooks.path)')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Events to write: message, status, update, error (dispatch.events)')
            [CompletionResult]::new('--handler', '--handler', [CompletionResultType]::ParameterName, 'Run CMD (split like a shell would, no other shell features) and write each event to its stdin as a JSON line; its stdout lines are the replies (see docs/PROTOCOL.md)')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Handler copies to run; events of one sender always go to the same one (dispatch.workers)')
            [CompletionResult]::new('--pass-env', '--pass-env', [CompletionResultType]::ParameterName, 'Hand these environment variables to the handler even if they hold secrets')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this PEM certificate chain, such as certbot''s fullchain.pem (webhooks.tls.cert); SIGHUP reads it again')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The certificate''s PEM private key (webhooks.tls.key); SIGHUP reads it again')
            [CompletionResult]::new('--metrics-port', '--metrics-port', [CompletionResultType]::ParameterName, 'Serve /metrics (Prometheus) on 127.0.0.1:PORT, apart from the webhooks; 0 picks a free port. (webhooks.metrics: true serves it on the webhooks port instead)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--per-message', '--per-message', [CompletionResultType]::ParameterName, 'Start the handler anew for each event, with that one event on stdin')
            [CompletionResult]::new('--download-media', '--download-media', [CompletionResultType]::ParameterName, 'Download media before handing a message over; its path is in media.file')
            [CompletionResult]::new('--insecure-skip-signature', '--insecure-skip-signature', [CompletionResultType]::ParameterName, 'Accept notifications without checking their signature (no app secret needed). Only for local experiments: anyone who can reach the port can then post messages')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;upload' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Upload even when the media database holds a valid id for the file''s content')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;download' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory to download into (media.downloadDir)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;media' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List uploads and downloads with their age and expiry')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete media at WhatsApp and in the database')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;media;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;media;delete' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;media;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List uploads and downloads with their age and expiry')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete media at WhatsApp and in the database')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;media;help;list' {
            break
        }
        'wa-cloud;media;help;delete' {
            break
        }
        'wa-cloud;media;help;help' {
            break
        }
        'wa-cloud;dev' {
            [CompletionResult]::new('--handler', '--handler', [CompletionResultType]::ParameterName, 'The bot: run CMD as `serve --handler CMD` would')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Chat as this WhatsApp user: a phone number with country code, or a business-scoped user id (US.13491208655302741918) for a user known only by their username')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Chat as a user with this WhatsApp username and no phone number, as WhatsApp sends users with a username: only their business-scoped user id (derived from NAME unless --as gives one)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Your profile name in the chat')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Play the conversation in FILE (one input a line) and print the transcript')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the bot to deal with each message (reply or `{"done":ID}`) before a script fails')
            [CompletionResult]::new('--graph-port', '--graph-port', [CompletionResultType]::ParameterName, 'Port of the local Graph API (on 127.0.0.1); 0 picks a free one [default: 3001]. Named apart from `serve --port`, the webhooks port; `--port` is still accepted')
            [CompletionResult]::new('--webhook', '--webhook', [CompletionResultType]::ParameterName, 'Post signed sent/delivered/read statuses of each message to this webhook URL')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'App secret to sign the statuses with [default: webhooks.secret]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The access token the local Graph API accepts [default: wa-cloud-dev-token]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--per-message', '--per-message', [CompletionResultType]::ParameterName, 'Start the bot anew for each message, as `serve --per-message` does')
            [CompletionResult]::new('--graph-only', '--graph-only', [CompletionResultType]::ParameterName, 'Run only the local Graph API, for other programs (and tests) to use as a fake')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;inbox' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Count the events waiting, handed over but not acknowledged, and parked (the default)')
            [CompletionResult]::new('parked', 'parked', [CompletionResultType]::ParameterValue, 'List the parked events: those a handler crashed on too often')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Hand parked events over again (all of them without SEQ)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;inbox;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;inbox;parked' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;inbox;retry' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;inbox;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Count the events waiting, handed over but not acknowledged, and parked (the default)')
            [CompletionResult]::new('parked', 'parked', [CompletionResultType]::ParameterValue, 'List the parked events: those a handler crashed on too often')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Hand parked events over again (all of them without SEQ)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;inbox;help;status' {
            break
        }
        'wa-cloud;inbox;help;parked' {
            break
        }
        'wa-cloud;inbox;help;retry' {
            break
        }
        'wa-cloud;inbox;help;help' {
            break
        }
        'wa-cloud;contacts' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'One line per contact, the most recently seen first (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Everything known of one contact')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;contacts;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;contacts;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;contacts;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'One line per contact, the most recently seen first (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Everything known of one contact')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;contacts;help;list' {
            break
        }
        'wa-cloud;contacts;help;show' {
            break
        }
        'wa-cloud;contacts;help;help' {
            break
        }
        'wa-cloud;doctor' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The public callback URL: check that a verification request through it reaches this configuration''s verify token, and that it is the callback URL in effect')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--fix', '--fix', [CompletionResultType]::ParameterName, 'Subscribe the app to the business account, and with --url make it the phone number''s callback URL (an override, with this configuration''s verify token)')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;healthcheck' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The URL to ask [default: http://127.0.0.1:<webhooks.port>/healthz, https with webhooks.tls.*]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port serve listens on [default: webhooks.port]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the answer')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s components and a `send` command line that fills every parameter')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Fetch every template from Meta into the database (send checks against it)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a template at Meta (every language of it) and in the database')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;templates;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only templates of this status (APPROVED, PENDING, REJECTED, PAUSED, ...)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--cached', '--cached', [CompletionResultType]::ParameterName, 'List what the database holds, without asking Meta')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates;show' {
            [CompletionResult]::new('--lang', '--lang', [CompletionResultType]::ParameterName, 'Its language, such as en_US (needed when it has several)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates;sync' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates;delete' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates;create' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The template as JSON or YAML: name, language, category, components')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the configuration from FILE (JSON or YAML) instead of searching for one')
            [CompletionResult]::new('--phone-number-id', '--phone-number-id', [CompletionResultType]::ParameterName, 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers')
            [CompletionResult]::new('--api-version', '--api-version', [CompletionResultType]::ParameterName, 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)')
            [CompletionResult]::new('--base-port', '--base-port', [CompletionResultType]::ParameterName, 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The SQLite database of media ids, inbox and outbox (media.dbPath)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check the file only; submit nothing')
            [CompletionResult]::new('--no-config-file', '--no-config-file', [CompletionResultType]::ParameterName, 'Read no configuration file')
            [CompletionResult]::new('--no-env', '--no-env', [CompletionResultType]::ParameterName, 'Ignore WHATSAPP_CLOUD_* environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON objects, one a line, instead of plain values')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log only errors, and show no progress')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wa-cloud;templates;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s components and a `send` command line that fills every parameter')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Fetch every template from Meta into the database (send checks against it)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a template at Meta (every language of it) and in the database')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;templates;help;list' {
            break
        }
        'wa-cloud;templates;help;show' {
            break
        }
        'wa-cloud;templates;help;sync' {
            break
        }
        'wa-cloud;templates;help;delete' {
            break
        }
        'wa-cloud;templates;help;create' {
            break
        }
        'wa-cloud;templates;help;help' {
            break
        }
        'wa-cloud;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send messages and print their wamids, one a line')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective configuration, each value with where it came from')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the webhooks endpoint: store every notification, print messages as JSON lines')
            [CompletionResult]::new('upload', 'upload', [CompletionResultType]::ParameterValue, 'Upload media files through the media cache; print their ids, one a line')
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download media by id into media.downloadDir; print the paths, one a line')
            [CompletionResult]::new('media', 'media', [CompletionResultType]::ParameterValue, 'List or delete what the media database holds')
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal')
            [CompletionResult]::new('inbox', 'inbox', [CompletionResultType]::ParameterValue, 'Show what waits in the inbox: events handed over, unacknowledged or parked')
            [CompletionResult]::new('contacts', 'contacts', [CompletionResultType]::ParameterValue, 'Show the people serve has heard from, their identifiers and their 24-hour windows')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL')
            [CompletionResult]::new('healthcheck', 'healthcheck', [CompletionResultType]::ParameterValue, 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)')
            [CompletionResult]::new('templates', 'templates', [CompletionResultType]::ParameterValue, 'List, show, sync, create and delete message templates (graphApi.businessAccountId)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wa-cloud;help;send' {
            break
        }
        'wa-cloud;help;config' {
            break
        }
        'wa-cloud;help;completions' {
            break
        }
        'wa-cloud;help;serve' {
            break
        }
        'wa-cloud;help;upload' {
            break
        }
        'wa-cloud;help;download' {
            break
        }
        'wa-cloud;help;media' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List uploads and downloads with their age and expiry')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete media at WhatsApp and in the database')
            break
        }
        'wa-cloud;help;media;list' {
            break
        }
        'wa-cloud;help;media;delete' {
            break
        }
        'wa-cloud;help;dev' {
            break
        }
        'wa-cloud;help;inbox' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Count the events waiting, handed over but not acknowledged, and parked (the default)')
            [CompletionResult]::new('parked', 'parked', [CompletionResultType]::ParameterValue, 'List the parked events: those a handler crashed on too often')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Hand parked events over again (all of them without SEQ)')
            break
        }
        'wa-cloud;help;inbox;status' {
            break
        }
        'wa-cloud;help;inbox;parked' {
            break
        }
        'wa-cloud;help;inbox;retry' {
            break
        }
        'wa-cloud;help;contacts' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'One line per contact, the most recently seen first (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Everything known of one contact')
            break
        }
        'wa-cloud;help;contacts;list' {
            break
        }
        'wa-cloud;help;contacts;show' {
            break
        }
        'wa-cloud;help;doctor' {
            break
        }
        'wa-cloud;help;healthcheck' {
            break
        }
        'wa-cloud;help;templates' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s components and a `send` command line that fills every parameter')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Fetch every template from Meta into the database (send checks against it)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a template at Meta (every language of it) and in the database')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review')
            break
        }
        'wa-cloud;help;templates;list' {
            break
        }
        'wa-cloud;help;templates;show' {
            break
        }
        'wa-cloud;help;templates;sync' {
            break
        }
        'wa-cloud;help;templates;delete' {
            break
        }
        'wa-cloud;help;templates;create' {
            break
        }
        'wa-cloud;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
