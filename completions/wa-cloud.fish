# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wa_cloud_global_optspecs
    string join \n config= no-config-file no-env phone-number-id= api-version= base-url= base-port= db= json v/verbose q/quiet log-format= h/help V/version
end

function __fish_wa_cloud_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wa_cloud_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wa_cloud_using_subcommand
    set -l cmd (__fish_wa_cloud_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "send" -d 'Send messages and print their wamids, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "config" -d 'Print the effective configuration, each value with where it came from'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "serve" -d 'Run the webhooks endpoint: store every notification, print messages as JSON lines'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "upload" -d 'Upload media files through the media cache; print their ids, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "download" -d 'Download media by id into media.downloadDir; print the paths, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "media" -d 'List or delete what the media database holds'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "dev" -d 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "inbox" -d 'Show what waits in the inbox: events handed over, unacknowledged or parked'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "contacts" -d 'Show the people serve has heard from, their identifiers and their 24-hour windows'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "doctor" -d 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "healthcheck" -d 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "templates" -d 'List, show, sync, create and delete message templates (graphApi.businessAccountId)'
complete -c wa-cloud -n "__fish_wa_cloud_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l reply-to -d 'Quote this message (its wamid) in every message sent' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l from -d 'Send through this business number (its phone number id) instead of graphApi.phoneNumberId' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l raw -d 'A Graph API message object as JSON (type may be left out, text may be a string); `-` reads one or more from stdin' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l image -d 'Send an image: FILE, or the media given by --link or --id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l audio -d 'Send an audio file: FILE, or the media given by --link or --id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l video -d 'Send a video: FILE, or the media given by --link or --id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l document -d 'Send a document: FILE, or the media given by --link or --id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l sticker -d 'Send a sticker (WebP): FILE, or the media given by --link or --id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l link -d 'The media\'s public http(s) URL' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l id -d 'The media\'s id, from an upload' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l caption -d 'Caption of an image, video or document' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l filename -d 'File name shown for a document' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l location -d 'Send a location' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l name -d 'Name of the location' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l address -d 'Address of the location' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l contacts -d 'Send contacts from a JSON file (`-`: stdin): one contact or an array, in WhatsApp\'s shape or as {"name":"Ada Lovelace","phone":"+44...","email":"..."}' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l button -d 'A reply button, up to 3; TEXT is the message body' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l section -d 'Start a list section with this title; the --row flags after it belong to it' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l row -d 'A list row, up to 10 in all sections; TEXT is the message body' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l list -d 'A list as JSON, or a JSON file: an array of sections or the whole `action` object' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l list-button -d 'Label of the button that opens a list' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l header -d 'Header text of a button or list message' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l footer -d 'Footer text of a button or list message' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l react -d 'React to a message with this emoji ("" removes the reaction)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l to-message -d 'The wamid of the message to react to' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l template -d 'Send the approved template NAME' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l lang -d 'Language code of the template, exactly as approved (en_US, de, ...)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l param -d 'A body parameter of the template: TEXT in order, or NAME=TEXT for named parameters' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l currency-param -d 'A currency body parameter, such as EUR:12.50 or total=USD:100.99:$100.99' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l date-param -d 'A date-time body parameter, shown as given, such as "February 25, 1977"' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l header-image -d 'The template\'s header image: FILE (uploaded through the media cache), URL or media id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l header-video -d 'The template\'s header video: FILE, URL or media id' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l header-document -d 'The template\'s header document (PDF): FILE, URL or media id; --filename names it' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l header-location -d 'The template\'s header location; --name and --address describe it' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l button-param -d 'A button\'s value: the URL\'s variable part, a quick reply\'s payload, a coupon code or a flow token, by the button\'s position from 0' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l timeout -d 'How long to keep retrying while the Graph API cannot be reached or asks to wait (60s, 5m, or milliseconds); 0 tries once' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l preview-url -d 'Show a preview of the first URL in text messages'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand send" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand config" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand completions" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l port -d 'Port to listen on; 0 picks a free one (webhooks.port)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l host -d 'Address to listen on' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l path -d 'Path of the webhooks endpoint (webhooks.path)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l events -d 'Events to write: message, status, update, error (dispatch.events)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l handler -d 'Run CMD (split like a shell would, no other shell features) and write each event to its stdin as a JSON line; its stdout lines are the replies (see docs/PROTOCOL.md)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l workers -d 'Handler copies to run; events of one sender always go to the same one (dispatch.workers)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l pass-env -d 'Hand these environment variables to the handler even if they hold secrets' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l tls-cert -d 'Serve HTTPS with this PEM certificate chain, such as certbot\'s fullchain.pem (webhooks.tls.cert); SIGHUP reads it again' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l tls-key -d 'The certificate\'s PEM private key (webhooks.tls.key); SIGHUP reads it again' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l metrics-port -d 'Serve /metrics (Prometheus) on 127.0.0.1:PORT, apart from the webhooks; 0 picks a free port. (webhooks.metrics: true serves it on the webhooks port instead)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l per-message -d 'Start the handler anew for each event, with that one event on stdin'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l download-media -d 'Download media before handing a message over; its path is in media.file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l insecure-skip-signature -d 'Accept notifications without checking their signature (no app secret needed). Only for local experiments: anyone who can reach the port can then post messages'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand serve" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l force -d 'Upload even when the media database holds a valid id for the file\'s content'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand upload" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -s o -l output -d 'Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l dir -d 'Directory to download into (media.downloadDir)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand download" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -f -a "list" -d 'List uploads and downloads with their age and expiry'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -f -a "delete" -d 'Delete media at WhatsApp and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and not __fish_seen_subcommand_from list delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from help" -f -a "list" -d 'List uploads and downloads with their age and expiry'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete media at WhatsApp and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand media; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l handler -d 'The bot: run CMD as `serve --handler CMD` would' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l as -d 'Chat as this WhatsApp user: a phone number with country code, or a business-scoped user id (US.13491208655302741918) for a user known only by their username' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l username -d 'Chat as a user with this WhatsApp username and no phone number, as WhatsApp sends users with a username: only their business-scoped user id (derived from NAME unless --as gives one)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l name -d 'Your profile name in the chat' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l script -d 'Play the conversation in FILE (one input a line) and print the transcript' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l timeout -d 'Seconds to wait for the bot to deal with each message (reply or `{"done":ID}`) before a script fails' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l graph-port -d 'Port of the local Graph API (on 127.0.0.1); 0 picks a free one [default: 3001]. Named apart from `serve --port`, the webhooks port; `--port` is still accepted' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l webhook -d 'Post signed sent/delivered/read statuses of each message to this webhook URL' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l secret -d 'App secret to sign the statuses with [default: webhooks.secret]' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l token -d 'The access token the local Graph API accepts [default: wa-cloud-dev-token]' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l per-message -d 'Start the bot anew for each message, as `serve --per-message` does'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l graph-only -d 'Run only the local Graph API, for other programs (and tests) to use as a fake'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand dev" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -f -a "status" -d 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -f -a "parked" -d 'List the parked events: those a handler crashed on too often'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -f -a "retry" -d 'Hand parked events over again (all of them without SEQ)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and not __fish_seen_subcommand_from status parked retry help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from parked" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from help" -f -a "status" -d 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from help" -f -a "parked" -d 'List the parked events: those a handler crashed on too often'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Hand parked events over again (all of them without SEQ)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand inbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'One line per contact, the most recently seen first (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Everything known of one contact'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from help" -f -a "list" -d 'One line per contact, the most recently seen first (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from help" -f -a "show" -d 'Everything known of one contact'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand contacts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l url -d 'The public callback URL: check that a verification request through it reaches this configuration\'s verify token, and that it is the callback URL in effect' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l fix -d 'Subscribe the app to the business account, and with --url make it the phone number\'s callback URL (an override, with this configuration\'s verify token)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l url -d 'The URL to ask [default: http://127.0.0.1:<webhooks.port>/healthz, https with webhooks.tls.*]' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l port -d 'The port serve listens on [default: webhooks.port]' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l timeout -d 'How long to wait for the answer' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand healthcheck" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "list" -d 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "show" -d 'Show a template\'s components and a `send` command line that fills every parameter'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "sync" -d 'Fetch every template from Meta into the database (send checks against it)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "delete" -d 'Delete a template at Meta (every language of it) and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "create" -d 'Check a template (Meta\'s create shape, JSON or YAML) and submit it for review'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and not __fish_seen_subcommand_from list show sync delete create help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l status -d 'Only templates of this status (APPROVED, PENDING, REJECTED, PAUSED, ...)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l cached -d 'List what the database holds, without asking Meta'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l lang -d 'Its language, such as en_US (needed when it has several)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from sync" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l file -d 'The template as JSON or YAML: name, language, category, components' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l config -d 'Read the configuration from FILE (JSON or YAML) instead of searching for one' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l phone-number-id -d 'The business phone number\'s id (graphApi.phoneNumberId); `dev` takes it twice to simulate two business numbers' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l api-version -d 'Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l base-url -d 'Graph API host, such as graph.facebook.com (graphApi.baseUrl)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l base-port -d 'Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)' -r
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l db -d 'The SQLite database of media ids, inbox and outbox (media.dbPath)' -r -F
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l check -d 'Check the file only; submit nothing'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l no-config-file -d 'Read no configuration file'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l no-env -d 'Ignore WHATSAPP_CLOUD_* environment variables'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -l json -d 'Print JSON objects, one a line, instead of plain values'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log more (-v: debug, -vv: trace); RUST_LOG overrides'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Log only errors, and show no progress'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "list" -d 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a template\'s components and a `send` command line that fills every parameter'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Fetch every template from Meta into the database (send checks against it)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a template at Meta (every language of it) and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "create" -d 'Check a template (Meta\'s create shape, JSON or YAML) and submit it for review'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "send" -d 'Send messages and print their wamids, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "config" -d 'Print the effective configuration, each value with where it came from'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "completions" -d 'Print a shell completion script'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "serve" -d 'Run the webhooks endpoint: store every notification, print messages as JSON lines'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "upload" -d 'Upload media files through the media cache; print their ids, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "download" -d 'Download media by id into media.downloadDir; print the paths, one a line'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "media" -d 'List or delete what the media database holds'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "dev" -d 'Develop a bot locally: serve, a built-in Graph API and a chat in the terminal'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "inbox" -d 'Show what waits in the inbox: events handed over, unacknowledged or parked'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "contacts" -d 'Show the people serve has heard from, their identifiers and their 24-hour windows'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "doctor" -d 'Check the setup at Meta: token, phone number, API version, app subscription, callback URL'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "healthcheck" -d 'Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "templates" -d 'List, show, sync, create and delete message templates (graphApi.businessAccountId)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and not __fish_seen_subcommand_from send config completions serve upload download media dev inbox contacts doctor healthcheck templates help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from media" -f -a "list" -d 'List uploads and downloads with their age and expiry'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from media" -f -a "delete" -d 'Delete media at WhatsApp and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from inbox" -f -a "status" -d 'Count the events waiting, handed over but not acknowledged, and parked (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from inbox" -f -a "parked" -d 'List the parked events: those a handler crashed on too often'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from inbox" -f -a "retry" -d 'Hand parked events over again (all of them without SEQ)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from contacts" -f -a "list" -d 'One line per contact, the most recently seen first (the default)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from contacts" -f -a "show" -d 'Everything known of one contact'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "list" -d 'Fetch the templates from Meta into the database, then list them: name, language, category, status, quality'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "show" -d 'Show a template\'s components and a `send` command line that fills every parameter'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "sync" -d 'Fetch every template from Meta into the database (send checks against it)'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "delete" -d 'Delete a template at Meta (every language of it) and in the database'
complete -c wa-cloud -n "__fish_wa_cloud_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "create" -d 'Check a template (Meta\'s create shape, JSON or YAML) and submit it for review'
