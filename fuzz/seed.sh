#!/bin/sh
# Builds the seed corpora in fuzz/corpus/<target>/ from fixtures/ (run from
# anywhere; corpus/ is git-ignored). Each transcript gives one seed of all its
# `S:` lines (what the server sent) joined with CRLF, and, for the parser
# targets, one per server turn; mime_message gets the .eml files. Existing
# corpus files are kept, so the fuzzers' finds survive.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
fixtures="$fuzz/../fixtures"

# server_bytes TRANSCRIPT OUT: the S: lines of TRANSCRIPT, CRLF-terminated.
server_bytes() {
    sed -n 's/^S: \{0,1\}//p' "$1" | sed 's/\r$//' | awk '{ printf "%s\r\n", $0 }' >"$2"
}

# server_turns TRANSCRIPT PREFIX: one more seed per server turn (the S: lines
# between two C: lines), as PREFIX-01, PREFIX-02, ...
server_turns() {
    sed 's/\r$//' "$1" | awk -v prefix="$2" '
        /^C:/ { if (open) { close(out); open = 0 } next }
        /^S:/ { if (!open) { n++; out = sprintf("%s-%02d", prefix, n); open = 1 }
                line = $0; sub(/^S: ?/, "", line); printf "%s\r\n", line > out }'
}

for pair in smtp:smtp_reply pop3:pop3_response imap:imap_response imap:imap_framer; do
    proto=${pair%%:*}
    target=${pair#*:}
    mkdir -p "$fuzz/corpus/$target"
    for transcript in "$fixtures/$proto"/*.txt; do
        name="$fuzz/corpus/$target/fixture-$(basename "$transcript" .txt)"
        server_bytes "$transcript" "$name"
        server_turns "$transcript" "$name"
    done
done

mkdir -p "$fuzz/corpus/mime_message"
for eml in "$fixtures"/mime/generated/*.eml "$fixtures"/mime/malformed/*.eml; do
    [ -e "$eml" ] || continue
    cp "$eml" "$fuzz/corpus/mime_message/$(basename "$(dirname "$eml")")-$(basename "$eml")"
done

# The session targets replay whole server sides.
for pair in smtp:smtp_client_session pop3:pop3_client_session; do
    proto=${pair%%:*}
    target=${pair#*:}
    mkdir -p "$fuzz/corpus/$target"
    for transcript in "$fixtures/$proto"/*.txt; do
        server_bytes "$transcript" "$fuzz/corpus/$target/fixture-$(basename "$transcript" .txt)"
    done
done

for target in smtp_reply pop3_response imap_response imap_framer mime_message smtp_client_session pop3_client_session; do
    echo "$target: $(ls "$fuzz/corpus/$target" | wc -l) seeds"
done
