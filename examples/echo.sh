#!/bin/sh
# An echo bot in shell, for --per-message: wa-cloud starts it for each message, with that
# one event on stdin, and sends whatever it prints back to the sender.
#
#   wa-cloud dev --per-message --handler examples/echo.sh
#   wa-cloud serve --per-message --handler examples/echo.sh
#
# The event's top-level "text" is the only `"text":"` in it (the raw message has
# "text":{...}), so sed can find it without a JSON parser. Its value is taken as JSON wrote
# it, escapes and all (`\"`, `\\`, `\n`), and goes into the reply's JSON string as it is.
read -r event
text=$(printf '%s\n' "$event" | sed -n 's/.*"text":"\([^"\\]*\(\\.[^"\\]*\)*\)".*/\1/p')
printf '{"text":"Echo: %s"}\n' "${text:-(no text)}"
