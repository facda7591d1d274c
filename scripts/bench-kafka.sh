#!/usr/bin/env bash
# make bench-kafka: Bookshelf's Kafka layer against a plain C loop over librdkafka, on `bookshelf broker`
# (12 partitions), in one run. Produce: acknowledged events/s (the layer validates and encodes each CloudEvent;
# C sends a ready-made one). Replay: events/s reading every partition from the beginning (the layer parses,
# validates and decodes each; C only receives). The transport rows are the same work without CloudEvents
# (records only), to show what the librdkafka wrapper itself costs.
#
# Every producer run gets a fresh broker of its own, so that each one sends COUNT records into the same empty
# log (one broker for all of them would have to stay under the embedded broker's 5 MiB per partition, which
# made each run too short to tell from noise). The replays read REPLAY_COUNT records that the C loop put on
# one broker. Each measurement runs ROUNDS times, the three sides in turn and in a rotating order, and the
# best run of each side counts.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/bookshelf}
COUNT=${COUNT:-80000}
REPLAY_COUNT=${REPLAY_COUNT:-90000}
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d)
broker_pid=
stop_broker() {
    if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
        kill -TERM "$broker_pid"
        wait "$broker_pid" || true
    fi
    broker_pid=
    if grep -q "dropped" "$work/broker.log" 2>/dev/null; then
        echo "the embedded broker dropped records during the benchmark; lower COUNT or REPLAY_COUNT" >&2
        exit 1
    fi
}
cleanup() {
    stop_broker || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a fresh broker and sets `bootstrap` to its address.
start_broker() {
    rm -f "$work/broker.out"
    mkfifo "$work/broker.out"
    "$BIN" broker --partitions 12 --log-level warning > "$work/broker.out" 2> "$work/broker.log" &
    broker_pid=$!
    local line
    read -r line < "$work/broker.out"
    bootstrap=${line#broker listening on }
    [[ $bootstrap == 127.0.0.1:* ]] || { echo "unexpected broker output: $line" >&2; exit 1; }
}

gcc -O2 -Wall -o "$work/bench-kafka-c" scripts/bench-kafka.c $(pkg-config --cflags --libs rdkafka)
python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
    contracts/events/bookshelf.book.added/examples/valid/v1-dune.json > "$work/event.json"

field() { awk -v n="$2" '{print $n}' <<<"$1"; }
# The best events/s of the runs of one side, one "<mode> <count> <seconds> <events/s>" line each.
best() { awk 'BEGIN { b = 0 } $4 > b { b = $4 } END { print b }' "$1"; }

produce() {
    case $1 in
        c) "$work/bench-kafka-c" produce "$bootstrap" bookshelf.events "$COUNT" "$work/event.json" ;;
        events) "$BIN" broker bench produce --bootstrap-servers "$bootstrap" --count "$COUNT" 2>/dev/null ;;
        transport) "$BIN" broker bench produce --layer transport --bootstrap-servers "$bootstrap" --count "$COUNT" 2>/dev/null ;;
    esac
}
replay() {
    case $1 in
        c) "$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total" ;;
        *) "$BIN" broker bench replay --layer "$1" --bootstrap-servers "$bootstrap" 2>/dev/null ;;
    esac
}
sides=(c events transport)
# Round r runs the sides starting at r, so that none always goes first or last.
in_turn() { for offset in 0 1 2; do echo "${sides[($1 + offset) % 3]}"; done; }

for round in $(seq 0 $((ROUNDS - 1))); do
    for side in $(in_turn "$round"); do
        start_broker
        run=$(produce "$side")
        stop_broker
        [[ $(field "$run" 2) == "$COUNT" ]] || { echo "$side produce: $(field "$run" 2) of $COUNT acknowledged" >&2; exit 1; }
        echo "$run" >> "$work/produce-$side"
    done
done

start_broker
"$work/bench-kafka-c" produce "$bootstrap" bookshelf.events "$REPLAY_COUNT" "$work/event.json" > /dev/null
total=$((REPLAY_COUNT + 1)) # with the C producer's warm-up record
for round in $(seq 0 $((ROUNDS - 1))); do
    for side in $(in_turn "$round"); do
        run=$(replay "$side")
        [[ $(field "$run" 2) == "$total" ]] || { echo "$side replay read $(field "$run" 2) of $total events" >&2; exit 1; }
        echo "$run" >> "$work/replay-$side"
    done
done
stop_broker

c_p=$(best "$work/produce-c")
c_r=$(best "$work/replay-c")
row() { awk -v name="$1" -v s="$2" -v c="$3" -v goal="$4" 'BEGIN { printf "%-20s %14d %14d %7.0f%% %6s\n", name, s, c, 100 * s / c, goal }'; }
echo "bench-kafka: bookshelf broker (librdkafka $(pkg-config --modversion rdkafka) mock, 12 partitions), best of $ROUNDS runs each"
echo "produce: $COUNT events per run into a fresh broker, acknowledged; replay: all $total events from the beginning"
printf '%-20s %14s %14s %8s %6s\n' "" "Swift events/s" "C events/s" "ratio" "goal"
row "produce (events)" "$(best "$work/produce-events")" "$c_p" ">=70%"
row "produce (transport)" "$(best "$work/produce-transport")" "$c_p" ""
row "replay (events)" "$(best "$work/replay-events")" "$c_r" ">=50%"
row "replay (transport)" "$(best "$work/replay-transport")" "$c_r" ""
# What the events rows add to each record, measured alone (no broker): the record the C loop sends.
"$BIN" broker bench decode --count 200000 --record "$work/event.json" 2>&1 >/dev/null
