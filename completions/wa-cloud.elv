
use builtin;
use str;

set edit:completion:arg-completer[wa-cloud] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'wa-cloud'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'wa-cloud'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send messages and print their wamids, one a line'
            cand config 'Print the effective configuration, each value with where it came from'
            cand completions 'Print a shell completion script'
            cand serve 'Run the webhooks endpoint: store every notification, print messages as JSON lines'
            cand upload 'Upload media files through the media cache; print their ids, one a line'
            cand download 'Download media by id into media.downloadDir; print the paths, one a line'
            cand media 'List or delete what the media database holds'
            cand dev 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal'
            cand inbox 'Show what waits in the inbox: events handed over, unacknowledged or parked'
            cand contacts 'Show the people serve has heard from, their identifiers and their 24-hour windows'
            cand doctor 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL'
            cand healthcheck 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)'
            cand templates 'List, show, sync, create and delete message templates (graphApi.businessAccountId)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;send'= {
            cand --reply-to 'Quote this message (its wamid) in every message sent'
            cand --from 'Send through this business number (its phone number id) instead of graphApi.phoneNumberId'
            cand --raw 'A Graph API message object as JSON (type may be left out, text may be a string); `-` reads one or more from stdin'
            cand --image 'Send an image: FILE, or the media given by --link or --id'
            cand --audio 'Send an audio file: FILE, or the media given by --link or --id'
            cand --video 'Send a video: FILE, or the media given by --link or --id'
            cand --document 'Send a document: FILE, or the media given by --link or --id'
            cand --sticker 'Send a sticker (WebP): FILE, or the media given by --link or --id'
            cand --link 'The media''s public http(s) URL'
            cand --id 'The media''s id, from an upload'
            cand --caption 'Caption of an image, video or document'
            cand --filename 'File name shown for a document'
            cand --location 'Send a location'
            cand --name 'Name of the location'
            cand --address 'Address of the location'
            cand --contacts 'Send contacts from a JSON file (`-`: stdin): one contact or an array, in WhatsApp''s shape or as {"name":"Ada Lovelace","phone":"+44...","email":"..."}'
            cand --button 'A reply button, up to 3; TEXT is the message body'
            cand --section 'Start a list section with this title; the --row flags after it belong to it'
            cand --row 'A list row, up to 10 in all sections; TEXT is the message body'
            cand --list 'A list as JSON, or a JSON file: an array of sections or the whole `action` object'
            cand --list-button 'Label of the button that opens a list'
            cand --header 'Header text of a button or list message'
            cand --footer 'Footer text of a button or list message'
            cand --react 'React to a message with this emoji ("" removes the reaction)'
            cand --to-message 'The wamid of the message to react to'
            cand --template 'Send the approved template NAME'
            cand --lang 'Language code of the template, exactly as approved (en_US, de, ...)'
            cand --param 'A body parameter of the template: TEXT in order, or NAME=TEXT for named parameters'
            cand --currency-param 'A currency body parameter, such as EUR:12.50 or total=USD:100.99:$100.99'
            cand --date-param 'A date-time body parameter, shown as given, such as "February 25, 1977"'
            cand --header-image 'The template''s header image: FILE (uploaded through the media cache), URL or media id'
            cand --header-video 'The template''s header video: FILE, URL or media id'
            cand --header-document 'The template''s header document (PDF): FILE, URL or media id; --filename names it'
            cand --header-location 'The template''s header location; --name and --address describe it'
            cand --button-param 'A button''s value: the URL''s variable part, a quick reply''s payload, a coupon code or a flow token, by the button''s position from 0'
            cand --timeout 'How long to keep retrying while the Graph API cannot be reached or asks to wait (60s, 5m, or milliseconds); 0 tries once'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --preview-url 'Show a preview of the first URL in text messages'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;config'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;completions'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;serve'= {
            cand --port 'Port to listen on; 0 picks a free one (webhooks.port)'
            cand --host 'Address to listen on'
            cand --path 'Path of the webhooks endpoint (webhooks.path)'
            cand --events 'Events to write: message, status, update, error (dispatch.events)'
            cand --handler 'Run CMD (split like a shell would, no other shell features) and write each event to its stdin as a JSON line; its stdout lines are the replies (see docs/PROTOCOL.md)'
            cand --workers 'Handler copies to run; events of one sender always go to the same one (dispatch.workers)'
            cand --pass-env 'Hand these environment variables to the handler even if they hold secrets'
            cand --tls-cert 'Serve HTTPS with this PEM certificate chain, such as certbot''s fullchain.pem (webhooks.tls.cert); SIGHUP reads it again'
            cand --tls-key 'The certificate''s PEM private key (webhooks.tls.key); SIGHUP reads it again'
            cand --metrics-port 'Serve /metrics (Prometheus) on 127.0.0.1:PORT, apart from the webhooks; 0 picks a free port. (webhooks.metrics: true serves it on the webhooks port instead)'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --per-message 'Start the handler anew for each event, with that one event on stdin'
            cand --download-media 'Download media before handing a message over; its path is in media.file'
            cand --insecure-skip-signature 'Accept notifications without checking their signature (no app secret needed). Only for local experiments: anyone who can reach the port can then post messages'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;upload'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --force 'Upload even when the media database holds a valid id for the file''s content'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;download'= {
            cand -o 'Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)'
            cand --output 'Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)'
            cand --dir 'Directory to download into (media.downloadDir)'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;media'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List uploads and downloads with their age and expiry'
            cand delete 'Delete media at WhatsApp and in the database'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;media;list'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;media;delete'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;media;help'= {
            cand list 'List uploads and downloads with their age and expiry'
            cand delete 'Delete media at WhatsApp and in the database'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;media;help;list'= {
        }
        &'wa-cloud;media;help;delete'= {
        }
        &'wa-cloud;media;help;help'= {
        }
        &'wa-cloud;dev'= {
            cand --handler 'The bot: run CMD as `serve --handler CMD` would'
            cand --as 'Chat as this WhatsApp user: a phone number with country code, or a business-scoped user id (US.13491208655302741918) for a user known only by their username'
            cand --username 'Chat as a user with this WhatsApp username and no phone number, as WhatsApp sends users with a username: only their business-scoped user id (derived from NAME unless --as gives one)'
            cand --name 'Your profile name in the chat'
            cand --script 'Play the conversation in FILE (one input a line) and print the transcript'
            cand --timeout 'Seconds to wait for the bot to deal with each message (reply or `{"done":ID}`) before a script fails'
            cand --graph-port 'Port of the local Graph API (on 127.0.0.1); 0 picks a free one [default: 3001]. Named apart from `serve --port`, the webhooks port; `--port` is still accepted'
            cand --webhook 'Post signed sent/delivered/read statuses of each message to this webhook URL'
            cand --secret 'App secret to sign the statuses with [default: webhooks.secret]'
            cand --token 'The access token the local Graph API accepts [default: wa-cloud-dev-token]'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --per-message 'Start the bot anew for each message, as `serve --per-message` does'
            cand --graph-only 'Run only the local Graph API, for other programs (and tests) to use as a fake'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;inbox'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
            cand parked 'List the parked events: those a handler crashed on too often'
            cand retry 'Hand parked events over again (all of them without SEQ)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;inbox;status'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;inbox;parked'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;inbox;retry'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;inbox;help'= {
            cand status 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
            cand parked 'List the parked events: those a handler crashed on too often'
            cand retry 'Hand parked events over again (all of them without SEQ)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;inbox;help;status'= {
        }
        &'wa-cloud;inbox;help;parked'= {
        }
        &'wa-cloud;inbox;help;retry'= {
        }
        &'wa-cloud;inbox;help;help'= {
        }
        &'wa-cloud;contacts'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'One line per contact, the most recently seen first (the default)'
            cand show 'Everything known of one contact'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;contacts;list'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;contacts;show'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;contacts;help'= {
            cand list 'One line per contact, the most recently seen first (the default)'
            cand show 'Everything known of one contact'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;contacts;help;list'= {
        }
        &'wa-cloud;contacts;help;show'= {
        }
        &'wa-cloud;contacts;help;help'= {
        }
        &'wa-cloud;doctor'= {
            cand --url 'The public callback URL: check that a verification request through it reaches this configuration''s verify token, and that it is the callback URL in effect'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --fix 'Subscribe the app to the business account, and with --url make it the phone number''s callback URL (an override, with this configuration''s verify token)'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;healthcheck'= {
            cand --url 'The URL to ask [default: http://127.0.0.1:<webhooks.port>/healthz, https with webhooks.tls.*]'
            cand --port 'The port serve listens on [default: webhooks.port]'
            cand --timeout 'How long to wait for the answer'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
            cand show 'Show a template''s components and a `send` command line that fills every parameter'
            cand sync 'Fetch every template from Meta into the database (send checks against it)'
            cand delete 'Delete a template at Meta (every language of it) and in the database'
            cand create 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;templates;list'= {
            cand --status 'Only templates of this status (APPROVED, PENDING, REJECTED, PAUSED, ...)'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --cached 'List what the database holds, without asking Meta'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates;show'= {
            cand --lang 'Its language, such as en_US (needed when it has several)'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates;sync'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates;delete'= {
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates;create'= {
            cand --file 'The template as JSON or YAML: name, language, category, components'
            cand --config 'Read the configuration from FILE (JSON or YAML) instead of searching for one'
            cand --phone-number-id 'The business phone number''s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers'
            cand --api-version 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)'
            cand --base-url 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)'
            cand --base-port 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)'
            cand --db 'The SQLite database of media ids, inbox and outbox (media.dbPath)'
            cand --log-format 'Log format on stderr'
            cand --check 'Check the file only; submit nothing'
            cand --no-config-file 'Read no configuration file'
            cand --no-env 'Ignore WHATSAPP_CLOUD_* environment variables'
            cand --json 'Print JSON objects, one a line, instead of plain values'
            cand -v 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand --verbose 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
            cand -q 'Log only errors, and show no progress'
            cand --quiet 'Log only errors, and show no progress'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wa-cloud;templates;help'= {
            cand list 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
            cand show 'Show a template''s components and a `send` command line that fills every parameter'
            cand sync 'Fetch every template from Meta into the database (send checks against it)'
            cand delete 'Delete a template at Meta (every language of it) and in the database'
            cand create 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;templates;help;list'= {
        }
        &'wa-cloud;templates;help;show'= {
        }
        &'wa-cloud;templates;help;sync'= {
        }
        &'wa-cloud;templates;help;delete'= {
        }
        &'wa-cloud;templates;help;create'= {
        }
        &'wa-cloud;templates;help;help'= {
        }
        &'wa-cloud;help'= {
            cand send 'Send messages and print their wamids, one a line'
            cand config 'Print the effective configuration, each value with where it came from'
            cand completions 'Print a shell completion script'
            cand serve 'Run the webhooks endpoint: store every notification, print messages as JSON lines'
            cand upload 'Upload media files through the media cache; print their ids, one a line'
            cand download 'Download media by id into media.downloadDir; print the paths, one a line'
            cand media 'List or delete what the media database holds'
            cand dev 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal'
            cand inbox 'Show what waits in the inbox: events handed over, unacknowledged or parked'
            cand contacts 'Show the people serve has heard from, their identifiers and their 24-hour windows'
            cand doctor 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL'
            cand healthcheck 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)'
            cand templates 'List, show, sync, create and delete message templates (graphApi.businessAccountId)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wa-cloud;help;send'= {
        }
        &'wa-cloud;help;config'= {
        }
        &'wa-cloud;help;completions'= {
        }
        &'wa-cloud;help;serve'= {
        }
        &'wa-cloud;help;upload'= {
        }
        &'wa-cloud;help;download'= {
        }
        &'wa-cloud;help;media'= {
            cand list 'List uploads and downloads with their age and expiry'
            cand delete 'Delete media at WhatsApp and in the database'
        }
        &'wa-cloud;help;media;list'= {
        }
        &'wa-cloud;help;media;delete'= {
        }
        &'wa-cloud;help;dev'= {
        }
        &'wa-cloud;help;inbox'= {
            cand status 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
            cand parked 'List the parked events: those a handler crashed on too often'
            cand retry 'Hand parked events over again (all of them without SEQ)'
        }
        &'wa-cloud;help;inbox;status'= {
        }
        &'wa-cloud;help;inbox;parked'= {
        }
        &'wa-cloud;help;inbox;retry'= {
        }
        &'wa-cloud;help;contacts'= {
            cand list 'One line per contact, the most recently seen first (the default)'
            cand show 'Everything known of one contact'
        }
        &'wa-cloud;help;contacts;list'= {
        }
        &'wa-cloud;help;contacts;show'= {
        }
        &'wa-cloud;help;doctor'= {
        }
        &'wa-cloud;help;healthcheck'= {
        }
        &'wa-cloud;help;templates'= {
            cand list 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
            cand show 'Show a template''s components and a `send` command line that fills every parameter'
            cand sync 'Fetch every template from Meta into the database (send checks against it)'
            cand delete 'Delete a template at Meta (every language of it) and in the database'
            cand create 'Check a template (Meta''s create shape, JSON or YAML) and submit it for review'
        }
        &'wa-cloud;help;templates;list'= {
        }
        &'wa-cloud;help;templates;show'= {
        }
        &'wa-cloud;help;templates;sync'= {
        }
        &'wa-cloud;help;templates;delete'= {
        }
        &'wa-cloud;help;templates;create'= {
        }
        &'wa-cloud;help;help'= {
        }
    ]
    $completions[$command]
}
